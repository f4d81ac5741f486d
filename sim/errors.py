"""The one exception type for user mistakes: shown as a single line, exit code 2."""


class InputError(Exception):
    """Bad input from a user: a file, a field and what to do about it."""

    def __init__(self, where: str, field: str, fix: str):
        self.where, self.field, self.fix = str(where), field, fix
        super().__init__(f"{self.where}: {field}: {fix}")
