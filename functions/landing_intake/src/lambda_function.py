"""PLACEHOLDER on engineer C's branch (the package directory must exist); replaced at merge."""


def lambda_handler(event: dict, context: object) -> dict:
    raise NotImplementedError("placeholder")
