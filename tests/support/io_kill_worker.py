"""Worker for the SIGKILL test: writes a slow NetCDF through jaxgeo._io.write_netcdf.

argv: output path. Each chunk of the dask-backed variable takes 50 ms, so the write is
still under way when the test kills the process.
"""

import sys
import time

import dask.array as dsa
import numpy as np
import xarray as xr

from jaxgeo._io import write_netcdf


def slow(block):
    time.sleep(0.05)
    return block + 1.0


data = dsa.from_array(np.zeros((400, 90, 180)), chunks=(1, 90, 180)).map_blocks(slow)
ds = xr.Dataset({"tws": (("time", "lat", "lon"), data)})
print("writing", flush=True)
write_netcdf(ds, sys.argv[1])
print("done", flush=True)
