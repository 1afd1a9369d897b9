"""Truncation check for classic NetCDF-3 files (CDF-1, CDF-2 and CDF-5).

A classic NetCDF file declares, in its header, every variable's shape, type and begin
offset and the number of records. From these the byte length the file must have follows;
a download cut short is shorter and, opened by a NetCDF library, silently returns fill
or garbage for the missing part. :func:`check_netcdf3_complete` compares the two and
raises a one-line ``ValueError`` naming the file. Files that are not classic NetCDF
(NetCDF-4/HDF5, GRIB, text) are left to their own readers.
"""

from __future__ import annotations

import struct
from pathlib import Path

_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}
_STREAMING = (1 << 32) - 1


class _Header:
    def __init__(self, f, version: int):
        self.f = f
        self.long = version == 5          # CDF-5: 64-bit counts
        self.offset8 = version in (2, 5)  # CDF-2/5: 64-bit offsets

    def _read(self, n: int) -> bytes:
        b = self.f.read(n)
        if len(b) != n:
            raise EOFError
        return b

    def int32(self) -> int:
        return struct.unpack(">i", self._read(4))[0]

    def count(self) -> int:
        return struct.unpack(">q", self._read(8))[0] if self.long else \
            struct.unpack(">I", self._read(4))[0]

    def offset(self) -> int:
        return struct.unpack(">q", self._read(8))[0] if self.offset8 else \
            struct.unpack(">I", self._read(4))[0]

    def skip_padded(self, n: int) -> None:
        self._read((n + 3) // 4 * 4)

    def name(self) -> None:
        self.skip_padded(self.count())

    def list_of(self, read_item) -> list:
        tag, n = self.int32(), self.count()
        if tag == 0 and n == 0:
            return []
        return [read_item() for _ in range(n)]

    def attribute(self) -> None:
        self.name()
        nc_type, n = self.int32(), self.count()
        self.skip_padded(n * _TYPE_SIZE.get(nc_type, 1))


def _expected_size(f, version: int) -> int:
    h = _Header(f, version)
    numrecs = h.count()
    dims = h.list_of(lambda: (h.name(), h.count())[1])
    h.list_of(h.attribute)

    def variable():
        h.name()
        dimids = [h.count() for _ in range(h.count())]
        h.list_of(h.attribute)
        nc_type = h.int32()
        h.count()  # vsize: may overflow for large variables; recomputed from the shape
        begin = h.offset()
        size = _TYPE_SIZE.get(nc_type, 1)
        is_record = bool(dimids) and dims[dimids[0]] == 0
        for d in dimids[1:] if is_record else dimids:
            size *= dims[d]
        return begin, size, is_record

    variables = h.list_of(variable)
    if numrecs == _STREAMING and not h.long:
        return 0  # still being written: nothing declared to check
    record = [(b, s) for b, s, r in variables if r]
    recsize = record[0][1] if len(record) == 1 else sum((s + 3) // 4 * 4 for _, s in record)
    end = f.tell()
    for begin, size, is_record in variables:
        if is_record:
            if numrecs:
                end = max(end, begin + (numrecs - 1) * recsize + size)
        else:
            end = max(end, begin + size)
    return end


def check_netcdf3_complete(path) -> None:
    """Raise ``ValueError`` naming ``path`` if a classic NetCDF file is shorter than declared.

    Up to 3 bytes of missing final padding are tolerated. Non-classic files pass unchecked.
    """
    path = Path(path)
    with open(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[:3] != b"CDF" or magic[3] not in (1, 2, 5):
            return
        try:
            expected = _expected_size(f, magic[3])
        except (EOFError, IndexError, struct.error):
            raise ValueError(f"{path}: truncated or corrupt NetCDF-3 header") from None
    actual = path.stat().st_size
    if actual + 3 < expected:
        raise ValueError(f"{path}: truncated NetCDF file: {actual} bytes, but its header "
                         f"declares {expected} (re-download it)")
