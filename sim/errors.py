"""The exception types for what a user can fix: shown as a single line, exit code 2."""


class InputError(Exception):
    """Bad input from a user: a file, a field and what to do about it."""

    def __init__(self, where: str, field: str, fix: str):
        self.where, self.field, self.fix = str(where), field, fix
        super().__init__(f"{self.where}: {field}: {fix}")


class OutputError(InputError):
    """A directory that cannot take the output (no permission, disk full)."""

    def __init__(self, directory, err: OSError):
        reason = err.strerror or str(err)
        super().__init__(directory, "output", f"cannot be written ({reason}); free some space or "
                         "choose a directory you can write to")
