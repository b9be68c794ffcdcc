"""The one error hierarchy of Curriculab.

Every package raises these or a subclass that lives beside its owner (``HistoryError`` in
``envs.history``, ``LLMError`` and ``BudgetExceeded`` in ``agents.llm.errors``); third-party
exceptions are wrapped where they happen (`raise ... from e`). The command line prints
`error: <message>` and exits 2; the app shows the message.
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
