"""User-facing errors: each carries a message fit to print; the CLI maps them to exit 2."""


class PreplintError(Exception):
    """A mistake of the user's (bad config, unknown code, missing path), not a bug."""


class ConfigError(PreplintError):
    pass


class UsageError(PreplintError):
    pass
