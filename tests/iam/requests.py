"""From an AWS API call to the authorization requests AWS evaluates for it.

`requests_for(service, operation, params)` gives the IAM action(s), the resource ARN(s) and the
request context of one call: most operations are `<signing name>:<Operation>` on one resource;
the table below holds the ones that differ (S3 listing is s3:ListBucket with `s3:prefix`, a Glue
table call is authorized on the catalog, the database and the table, a Lambda invoke is
lambda:InvokeFunction). A call the table cannot place fails the IAM test by name, so a new kind of
call is never silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    why: str = ""  # for implied requests: what makes AWS send them


@dataclass
class Where:
    account: str
    region: str
    topic_keys: dict[str, str] = field(default_factory=dict)  # topic ARN -> KMS key ARN


def _s3_object(p: dict[str, Any], w: Where) -> str:
    return f"arn:aws:s3:::{p['Bucket']}/{p['Key']}"


def _glue_table(database: str, table: str, w: Where) -> list[str]:
    base = f"arn:aws:glue:{w.region}:{w.account}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{table}"]


def _ssm_parameter(name: str, w: Where) -> str:
    return f"arn:aws:ssm:{w.region}:{w.account}:parameter/{name.lstrip('/')}"


def _function(name: str, w: Where, qualifier: str | None = None) -> str:
    """Lambda authorizes an invocation on the ARN it names: a version or alias ARN stays qualified."""
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{w.region}:{w.account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier and len(arn.split(":")) == 7 else arn


def _start_execution(p: dict[str, Any], w: Where) -> list[Need]:
    """Step Functions authorizes a start through a version or alias on the unqualified state machine
    ARN, with the qualifier in `states:StateMachineQualifier` ("Authorization for versions and aliases")."""
    parts = (p.get("stateMachineArn") or p["StateMachineArn"]).split(":")
    context = (("states:StateMachineQualifier", parts[7]),) if len(parts) > 7 else ()
    return [Need("states:StartExecution", ":".join(parts[:7]), context)]


def _queue_arn(url: str, w: Where) -> str:
    """https://sqs.<region>.amazonaws.com/<account>/<name> (or an ARN already) -> the queue ARN."""
    if url.startswith("arn:"):
        return url
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{w.region}:{account}:{name}"


Rule = Callable[[dict[str, Any], Where], list[Need]]


def _one(action: str, resource: Callable[[dict[str, Any], Where], str]) -> Rule:
    return lambda p, w: [Need(action, resource(p, w))]


def _glue(action: str, database_key: str, table: Callable[[dict[str, Any]], str]) -> Rule:
    return lambda p, w: [Need(action, arn) for arn in _glue_table(p[database_key], table(p), w)]


def _list_bucket(p: dict[str, Any], w: Where) -> list[Need]:
    return [Need("s3:ListBucket", f"arn:aws:s3:::{p['Bucket']}", (("s3:prefix", p.get("Prefix", "")),))]


def _publish(p: dict[str, Any], w: Where) -> list[Need]:
    topic = p["TopicArn"]
    needs = [Need("sns:Publish", topic)]
    key = w.topic_keys.get(topic)
    if key:
        # SNS encrypts the message with the topic's key on the publisher's behalf.
        via = (("kms:ViaService", f"sns.{w.region}.amazonaws.com"), ("kms:CallerAccount", w.account))
        why = f"SNS encrypts messages to {topic} with {key}"
        needs += [Need("kms:GenerateDataKey", key, via, why), Need("kms:Decrypt", key, via, why)]
    return needs


RULES: dict[tuple[str, str], Rule] = {
    ("s3", "PutObject"): _one("s3:PutObject", _s3_object),
    ("s3", "CreateMultipartUpload"): _one("s3:PutObject", _s3_object),
    ("s3", "UploadPart"): _one("s3:PutObject", _s3_object),
    ("s3", "CompleteMultipartUpload"): _one("s3:PutObject", _s3_object),
    ("s3", "AbortMultipartUpload"): _one("s3:AbortMultipartUpload", _s3_object),
    ("s3", "GetObject"): _one("s3:GetObject", _s3_object),
    ("s3", "HeadObject"): _one("s3:GetObject", _s3_object),
    ("s3", "DeleteObject"): _one("s3:DeleteObject", _s3_object),
    ("s3", "DeleteObjects"): lambda p, w: [
        Need("s3:DeleteObject", f"arn:aws:s3:::{p['Bucket']}/{o['Key']}") for o in p["Delete"]["Objects"]
    ],
    ("s3", "ListObjectsV2"): _list_bucket,
    ("s3", "ListObjects"): _list_bucket,
    ("s3", "HeadBucket"): _one("s3:ListBucket", lambda p, w: f"arn:aws:s3:::{p['Bucket']}"),
    ("ssm", "GetParameter"): _one("ssm:GetParameter", lambda p, w: _ssm_parameter(p["Name"], w)),
    ("ssm", "GetParameters"): lambda p, w: [
        Need("ssm:GetParameters", _ssm_parameter(n, w)) for n in p["Names"]
    ],
    ("sns", "Publish"): _publish,
    ("glue", "GetTable"): _glue("glue:GetTable", "DatabaseName", lambda p: p["Name"]),
    ("glue", "CreateTable"): _glue("glue:CreateTable", "DatabaseName", lambda p: p["TableInput"]["Name"]),
    ("glue", "UpdateTable"): _glue("glue:UpdateTable", "DatabaseName", lambda p: p["TableInput"]["Name"]),
    ("glue", "DeleteTable"): _glue("glue:DeleteTable", "DatabaseName", lambda p: p["Name"]),
    ("glue", "GetPartitions"): _glue("glue:GetPartitions", "DatabaseName", lambda p: p["TableName"]),
    ("glue", "BatchDeletePartition"): _glue(
        "glue:BatchDeletePartition", "DatabaseName", lambda p: p["TableName"]
    ),
    # GetTables is authorized on the catalog, the database and every table it may return.
    ("glue", "GetTables"): _glue("glue:GetTables", "DatabaseName", lambda p: "*"),
    ("glue", "GetDatabase"): lambda p, w: [
        Need("glue:GetDatabase", arn) for arn in _glue_table(p["Name"], "", w)[:2]
    ],
    ("glue", "StopSession"): _one(
        "glue:StopSession", lambda p, w: f"arn:aws:glue:{w.region}:{w.account}:session/{p['Id']}"
    ),
    ("glue", "GetSession"): _one(
        "glue:GetSession", lambda p, w: f"arn:aws:glue:{w.region}:{w.account}:session/{p['Id']}"
    ),
    ("lambda", "Invoke"): _one(
        "lambda:InvokeFunction", lambda p, w: _function(p["FunctionName"], w, p.get("Qualifier"))
    ),
    ("stepfunctions", "StartExecution"): _start_execution,
    ("sqs", "SendMessage"): _one("sqs:SendMessage", lambda p, w: _queue_arn(p["QueueUrl"], w)),
    ("sqs", "ReceiveMessage"): _one("sqs:ReceiveMessage", lambda p, w: _queue_arn(p["QueueUrl"], w)),
    ("sqs", "DeleteMessage"): _one("sqs:DeleteMessage", lambda p, w: _queue_arn(p["QueueUrl"], w)),
    # Listed on the state machine itself (a version or alias ARN is authorized on it too).
    ("stepfunctions", "ListExecutions"): _one(
        "states:ListExecutions", lambda p, w: ":".join(p["stateMachineArn"].split(":")[:7])
    ),
}


def _glue_job(action: str) -> Rule:
    def rule(p: dict[str, Any], w: Where) -> list[Need]:
        names = [p["JobName"]] if "JobName" in p else []
        return [Need(action, f"arn:aws:glue:{w.region}:{w.account}:job/{name}") for name in names]

    return rule


def _table(action: str) -> Rule:
    def rule(p: dict[str, Any], w: Where) -> list[Need]:
        name = p["TableName"]
        arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{w.region}:{w.account}:table/{name}"
        if p.get("IndexName"):  # a Query or Scan of a secondary index is authorized on the index
            arn = f"{arn}/index/{p['IndexName']}"
        return [Need(action, arn)]

    return rule


def _execution(action: str) -> Rule:
    """An execution ARN; for a `.sync` start (StateMachineArn only) the executions of that machine."""

    def resource(p: dict[str, Any], w: Where) -> str:
        if p.get("executionArn") or p.get("ExecutionArn"):
            return p.get("executionArn") or p["ExecutionArn"]
        machine = (p.get("stateMachineArn") or p["StateMachineArn"]).split(":")
        return f"arn:aws:states:{machine[3]}:{machine[4]}:execution:{machine[6]}:*"

    return _one(action, resource)


def _sync_rule(p: dict[str, Any], w: Where) -> list[Need]:
    """`startExecution.sync`: Step Functions follows the child through a managed EventBridge rule."""
    rule = f"arn:aws:events:{w.region}:{w.account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
    why = "a .sync start of a state machine"
    return [
        Need(action, rule, (), why)
        for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule")
    ]


def _copy_object(p: dict[str, Any], w: Where) -> list[Need]:
    source = (
        p["CopySource"]
        if isinstance(p["CopySource"], str)
        else f"{p['CopySource']['Bucket']}/{p['CopySource']['Key']}"
    )
    return [
        Need("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/')}"),
        Need("s3:PutObject", _s3_object(p, w)),
    ]


def _crawler(action: str) -> Rule:
    return _one(action, lambda p, w: f"arn:aws:glue:{w.region}:{w.account}:crawler/{p['Name']}")


# Services work is adding (the silver Glue job, the audit table, state machines starting state machines).
RULES.update(
    {
        ("glue", "StartJobRun"): _glue_job("glue:StartJobRun"),
        ("glue", "GetJobRun"): _glue_job("glue:GetJobRun"),
        ("glue", "GetJobRuns"): _glue_job("glue:GetJobRuns"),
        ("glue", "BatchStopJobRun"): _glue_job("glue:BatchStopJobRun"),
        ("glue", "StartCrawler"): _crawler("glue:StartCrawler"),
        ("glue", "GetCrawler"): _crawler("glue:GetCrawler"),
        ("dynamodb", "PutItem"): _table("dynamodb:PutItem"),
        ("dynamodb", "GetItem"): _table("dynamodb:GetItem"),
        ("dynamodb", "UpdateItem"): _table("dynamodb:UpdateItem"),
        ("dynamodb", "DeleteItem"): _table("dynamodb:DeleteItem"),
        ("dynamodb", "Query"): _table("dynamodb:Query"),
        ("dynamodb", "Scan"): _table("dynamodb:Scan"),
        ("stepfunctions", "DescribeExecution"): _execution("states:DescribeExecution"),
        ("stepfunctions", "StopExecution"): _execution("states:StopExecution"),
        ("s3", "CopyObject"): _copy_object,
        ("stepfunctions", "SyncManagedRule"): _sync_rule,
    }
)

# Calls that need no permission.
FREE = {("sts", "GetCallerIdentity")}


# S3's answer for a key that does not exist: 404 (NoSuchKey) only to a caller allowed s3:ListBucket on
# the bucket, 403 (AccessDenied) otherwise ("GetObject", "HeadObject" in the S3 API reference). Code
# that treats a missing object as normal (no contract, no result yet) needs the listing grant.
MISSING_KEY_ERRORS = {"NoSuchKey", "404", "NotFound"}


def requests_for(
    service: str, operation: str, params: dict[str, Any], where: Where, error: str = ""
) -> list[Need]:
    if (service, operation) in FREE:
        return []
    rule = RULES.get((service, operation))
    if rule is None:
        raise LookupError(
            f"{service}:{operation} has no rule in tests/iam/requests.py RULES (which IAM action, on which "
            "resource ARN, with which context keys): add one"
        )
    needs = rule(params, where)
    if service == "s3" and operation in ("GetObject", "HeadObject") and error in MISSING_KEY_ERRORS:
        why = "S3 answers 404 for a missing key only to a caller that may list the bucket (else 403)"
        needs.append(
            Need("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}", (("s3:prefix", params["Key"]),), why)
        )
    return needs
