"""Import of companies from a CSV or XLSX file: read, validate every row, then save all or nothing.

Reading (``read_company_file``) turns a file into canonical rows of strings; validating
(``company_import_preview``) checks every row as the company form would and reports each
error by line and column; ``company_import`` re-validates and saves every new row in one
transaction. A SIREN already registered in the dispositif is reported « déjà présente » and
skipped (never updated), so importing the same file twice adds nothing.
"""

from .base import REQUIRED_COLUMNS, TEMPLATE_HEADERS, ImportFileError, ParsedFile
from .reading import MAX_ROWS, read_company_file
from .saving import company_import
from .validation import company_import_preview

__all__ = (
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "TEMPLATE_HEADERS",
    "ImportFileError",
    "ParsedFile",
    "company_import",
    "company_import_preview",
    "read_company_file",
)
