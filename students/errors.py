"""The one error hierarchy of Curriculab.

Every package raises these; third-party exceptions are wrapped where they happen
(`raise ... from e`). The command line prints `error: <message>` and exits 2; the app shows
the message.
"""


class CurriculabError(Exception):
    """Base of every error Curriculab raises on purpose."""


class ConfigError(CurriculabError):
    """A run configuration, a command-line argument or a UI field is invalid."""


class DataError(CurriculabError):
    """A data file, a task split or an example is malformed."""


class RegistryError(ConfigError):
    """An id is not registered; the message lists the known ids."""


class StudentError(CurriculabError):
    """A student could not be built, trained, saved or loaded."""


class HistoryError(CurriculabError):
    """The DuckDB history could not be read or written."""


class LLMError(CurriculabError):
    """An LLM endpoint failed in a way retries could not fix, or its output was unusable."""


class BudgetExceeded(CurriculabError):
    """A token or dollar budget is spent; the run stops at the end of the iteration."""
