"""Several model fields at once: a Dataset of models → the similarity target and channels."""

from __future__ import annotations

__all__ = ["MEMBER_PREFIX", "split_models"]

#: prefix of the feature channel that carries each member of a Dataset of models
MEMBER_PREFIX = "model:"


def split_models(model, features):
    """``(model, features)`` for the network, from one model field or a Dataset of several.

    A ``DataArray`` passes through. A ``Dataset`` of (time, lat, lon) model fields (any
    number, land or ocean, e.g. two ocean reanalyses) becomes:

    * the *model field* of the loss's similarity term and of the baseline channel: the
      members' mean, each member first converted to the first member's unit (the
      multi-model mean is the usual best single estimate; the network decides where to
      trust which member);
    * one *feature channel* per member, named ``model:<name>``, ahead of ``features``, with
      its own normalisation, stored with the network like any feature (so
      :meth:`~jaxgeo.downscale.Downscaler.predict` needs the same members).

    Raises:
        ValueError: an empty Dataset, members not on one grid and time axis (naming
            them), units that cannot be converted, or a feature whose name clashes with a
            member's channel.
        TypeError: neither a DataArray nor a Dataset.
    """
    import xarray as xr

    from ..units import common_units

    if isinstance(model, xr.DataArray):
        return model, features
    if not isinstance(model, xr.Dataset):
        raise TypeError(f"model must be an xarray.DataArray or a Dataset of model fields, got "
                        f"{type(model).__name__}")
    names = [str(n) for n in model.data_vars]
    if not names:
        raise ValueError("model: the Dataset of model fields has no variable")
    first = model[names[0]]
    units = first.attrs.get("units")
    members = {}
    for name in names:
        da = model[name]
        factor, _ = common_units(units, da.attrs.get("units"))
        if da.dims != first.dims or any(
                not da[d].equals(first[d]) for d in da.dims if d in first.coords):
            raise ValueError(f"model members {names[0]!r} and {name!r} are not on the same "
                             f"grid and months (dims {first.dims} vs {da.dims})")
        members[name] = da * factor if factor != 1.0 else da
    mean = sum(members.values()) / len(members)
    mean.attrs = {"units": units, "long_name": "mean of the model fields " + ", ".join(names)}
    mean.name = "model"
    chans = {}
    for name, da in members.items():
        chans[MEMBER_PREFIX + name] = da.assign_attrs(units=units) if units else da
    if features is not None:
        if not isinstance(features, xr.Dataset):
            raise TypeError(f"features must be an xarray.Dataset, got "
                            f"{type(features).__name__}")
        clash = [n for n in features.data_vars if str(n) in chans]
        if clash:
            raise ValueError(f"feature {clash[0]!r} clashes with the channel of a model member; "
                             "rename it")
        chans.update({str(n): features[n] for n in features.data_vars})
    return mean, xr.Dataset(chans)
