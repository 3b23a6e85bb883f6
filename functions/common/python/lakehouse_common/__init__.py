"""Helpers shared by the lakehouse Lambda functions, packaged once as the project's own layer.

The layer zip is built from ``functions/common``, so Lambda finds this package at
``/opt/python/lakehouse_common``. Only the standard library and the Lambda runtime's
boto3/botocore are used here, so importing it is cheap.
"""

from lakehouse_common.config import (
    DATA_SOURCE,
    USER_AGENT,
    ParameterNames,
    env_float,
    env_int,
    glue_database_name,
    parameter_names,
)
from lakehouse_common.errors import Failure, MissingParameterError, PipelineStepFailed, fail_if_any
from lakehouse_common.log import get_logger, setup_logging
from lakehouse_common.s3 import list_keys, object_key, object_name, put_object, run_key
from lakehouse_common.sns import failure_message, publish_failures, publish_message
from lakehouse_common.ssm import get_parameter, get_string_list, parse_string_list

__version__ = "0.1.0"

__all__ = [
    "DATA_SOURCE",
    "USER_AGENT",
    "Failure",
    "MissingParameterError",
    "ParameterNames",
    "PipelineStepFailed",
    "env_float",
    "env_int",
    "fail_if_any",
    "failure_message",
    "get_logger",
    "get_parameter",
    "get_string_list",
    "glue_database_name",
    "list_keys",
    "object_key",
    "object_name",
    "parameter_names",
    "parse_string_list",
    "publish_failures",
    "publish_message",
    "put_object",
    "run_key",
    "setup_logging",
]
