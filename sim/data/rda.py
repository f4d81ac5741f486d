"""R data files (.rda, as R packages ship their data sets) read into pandas frames.

The reading needs the optional `rdata` package (`pip install -e .[data]`); only the rebuild commands of
the derived tables read these files, plain runs read the committed tables.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from sim.errors import InputError


def read_frame(path: Path | str, name: str) -> pd.DataFrame:
    """The data frame `name` stored in the .rda file `path`."""
    path = Path(path)
    try:
        import rdata
    except ImportError:
        raise InputError(path, "rdata", "reading R data files needs the data extra: "
                         "pip install -e '.[data]'") from None
    if not path.is_file():
        raise InputError(path, "path", f"no such file; it should hold the R data set {name}")
    try:
        with warnings.catch_warnings():
            # rdata names each R class it converts by its parent class (tbl_df -> data.frame)
            warnings.simplefilter("ignore", UserWarning)
            objects = rdata.read_rda(path)
    except Exception as err:  # rdata raises many kinds on a file that is not R data
        raise InputError(path, "format", f"not a readable R data file ({type(err).__name__}); "
                         "give the .rda file of the package's data/ folder") from None
    frame = objects.get(name)
    if not isinstance(frame, pd.DataFrame):
        raise InputError(path, name, f"the file holds {', '.join(objects) or 'nothing'}, not "
                         f"the data frame {name}")
    return frame.reset_index(drop=True)


def package_file(directory: Path | str, name: str, option: str, package: str) -> Path:
    """`name`.rda in `directory` or in its data/ folder (a checkout of the R package)."""
    directory = Path(directory)
    for path in (directory / f"{name}.rda", directory / "data" / f"{name}.rda"):
        if path.is_file():
            return path
    raise InputError(directory, option, f"holds no {name}.rda (nor data/{name}.rda); give the "
                     f"data/ folder of the {package} package")


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path | str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(path, "columns", f"missing {', '.join(missing)}; expected at least "
                         f"{', '.join(columns)}")
