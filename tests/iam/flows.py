"""The flows the IAM tests run themselves, so every role's code runs even when the IAM tests run alone.

Each flow runs twice where the code behaves differently the second time: the pipeline's second run
finds the bronze Glue tables already there (GetPartitions + UpdateTable instead of CreateTable) and
overwrites every object. Failure paths publish alerts (the functions' own topics and the state
machine's failure topic).
"""

from __future__ import annotations

import dataclasses
import json

from local.emulator import Emulator, run_execution
from local.functions import load_function_module
from local.landing import deploy_landing, enable_arrival, read_landing_deployment
from local.run_pipeline import DeployedPipeline, deploy, read_deployment
from local.sample_wordpress import SampleWordPress
from local.terraform import MODULES_DIR, render_state_machine
from tests.failure_replay.events import status_change_event
from tests.glue_cost_control.module import definition_variables
from tests.iam.calls import Call, all_calls

FAST = {"RETRY_BASE_SECONDS": "0", "MAX_ATTEMPTS": "1"}


def pipeline_flow(emulator: Emulator) -> DeployedPipeline:
    deployment = read_deployment(emulator.account_id, emulator.region)
    sfn = emulator.client("stepfunctions")
    with SampleWordPress(posts=20, categories=2, tags=2, users=1) as site:
        # Every table gold is built from, so the silver workflow runs the gold job after silver.
        endpoints = [
            site.url("posts"),
            site.url("tags", pretty=False),
            site.url("users"),
            site.url("categories"),
        ]
        pipeline = deploy(emulator, deployment, endpoints, environment_overrides=FAST)
        # The first run is an InitialLoad. The second finds tables and objects in place and is an
        # Update of posts (an edited post): bronze reads its snapshot, silver merges the increment,
        # the load state advances (the quarantine run below publishes tags a third time, so the silver
        # job removes the run folder it superseded).
        for run in ("first", "second"):
            if run == "second":
                edited = site.site.collections["posts"][0]
                edited["modified"] = edited["modified_gmt"] = "2026-01-01T00:00:00"
            result = run_execution(
                sfn, pipeline.alias_arn, {"trigger": run}, name=f"iam-{run}", timeout_seconds=600
            )
            assert result["status"] == "SUCCEEDED", result
        # A gold quality failure: a user without a name passes silver, but gold cannot name the author
        # of that user's posts, so it quarantines posts_enriched and publishing_activity and alerts.
        user = site.site.collections["users"][0]
        user_name, user["name"] = user["name"], None
        edited["modified"] = edited["modified_gmt"] = "2026-01-02T00:00:00"
        failed = run_execution(
            sfn,
            pipeline.alias_arn,
            {"trigger": "gold-quarantine"},
            name="iam-gold-quarantine",
            timeout_seconds=600,
        )
        assert failed["status"] == "FAILED", failed
        user["name"] = user_name
        # A quality failure: a post names a tag that /tags does not list, so silver quarantines posts
        # and alerts.
        site.site.collections["posts"][0]["tags"].append(999_999)
        failed = run_execution(
            sfn, pipeline.alias_arn, {"trigger": "quarantine"}, name="iam-quarantine", timeout_seconds=600
        )
        assert failed["status"] == "FAILED", failed
        # Silver started on its own, with no datasets: it lists the bronze tables to rebuild.
        alone = run_execution(
            sfn, pipeline.silver_alias_arn, {}, name="iam-silver-alone", timeout_seconds=600
        )
        assert alone["status"] in ("SUCCEEDED", "FAILED"), alone
        # A raw failure: the raw function alerts its topic, the state machine the failure topic.
        emulator.client("ssm").put_parameter(
            Name=deployment.parameters["endpoints_parameter_name"],
            Value=site.url("no-such-endpoint"),
            Type="StringList",
            Overwrite=True,
        )
        failed = run_execution(
            sfn, pipeline.state_machine_arn, {"trigger": "raw-fails"}, name="iam-raw-fails"
        )
        assert failed["status"] == "FAILED", failed
        # A bronze failure: an unreadable raw object of the run; bronze alerts its topic.
        emulator.client("ssm").put_parameter(
            Name=deployment.parameters["endpoints_parameter_name"],
            Value=",".join(endpoints),
            Type="StringList",
            Overwrite=True,
        )
        raw_name = deployment.functions["raw"].name
        fetch = emulator.handlers[raw_name]

        def fetch_then_damage(event: dict, context: object) -> dict:  # bronze then reads a cut-off object
            summary = fetch(event, context)
            if event.get("action") == "fetch":
                with emulator.as_test():
                    key = summary["endpoints"][0]["key"]
                    emulator.client("s3").put_object(Bucket=deployment.raw_bucket, Key=key, Body=b"{not json")
            return summary

        emulator.register_handler(raw_name, fetch_then_damage)
        failed = run_execution(
            sfn, pipeline.state_machine_arn, {"trigger": "bronze-fails"}, name="iam-bronze-fails"
        )
        assert failed["status"] == "FAILED", failed
    return pipeline


def glue_cost_control_flow(emulator: Emulator) -> None:
    module = MODULES_DIR / "glue-cost-control"
    sns, glue, sfn = (emulator.client(n) for n in ("sns", "glue", "stepfunctions"))
    topic = sns.create_topic(Name="success-stepfunction")["TopicArn"]
    definition = json.dumps(render_state_machine(module, definition_variables(topic)))
    role = emulator.client("iam").create_role(RoleName="iam-flow-glue", AssumeRolePolicyDocument="{}")
    machine = sfn.create_state_machine(
        name="GlueSession-WaitAndStop", definition=definition, roleArn=role["Role"]["Arn"], type="STANDARD"
    )["stateMachineArn"]
    for session_id in ("iam-session-1", "iam-session-gone"):
        if session_id != "iam-session-gone":
            glue.create_session(
                Id=session_id,
                Role=f"arn:aws:iam::{emulator.account_id}:role/glue-session",
                Command={"Name": "glueetl", "PythonVersion": "3"},
            )
        result = run_execution(sfn, machine, {"session_id": session_id, "wait_seconds": 60}, name=session_id)
        assert result["status"] == "SUCCEEDED", result


def replay_flow(emulator: Emulator, pipeline: DeployedPipeline) -> None:
    """replay_failed_executions, invoked through its alias: one recorded failure of the pipeline (left
    by pipeline_flow) is replayed through the pipeline's alias, and a malformed message is dead-lettered."""
    sfn, sqs, sns = (emulator.client(n) for n in ("stepfunctions", "sqs", "sns"))
    failed = sfn.list_executions(stateMachineArn=pipeline.state_machine_arn, statusFilter="FAILED")
    failed = failed["executions"][0]
    description = sfn.describe_execution(executionArn=failed["executionArn"])
    event = status_change_event(description)
    dead_letter_url = sqs.create_queue(QueueName="stepfunction-failed-executions-dlq")["QueueUrl"]
    queue_url = sqs.create_queue(QueueName="stepfunction-failed-executions")["QueueUrl"]
    for body in (json.dumps(event), "not an event"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    environment = {
        "QUEUE_URL": queue_url,
        "DEAD_LETTER_QUEUE_URL": dead_letter_url,
        "STATE_MACHINE_ARNS": pipeline.alias_arn,
        "SUCCESS_TOPIC_ARN": sns.create_topic(Name="success-stepfunction")["TopicArn"],
        "FAILURE_TOPIC_ARN": sns.create_topic(Name="failure-stepfunction")["TopicArn"],
        "RECEIVE_WAIT_SECONDS": "0",
    }
    handler = load_function_module("replay_failed_executions").lambda_handler
    function = emulator.create_function("replay_failed_executions", handler, environment, alias="live")
    response = emulator.client("lambda").invoke(FunctionName=function, Payload=b"{}")
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response and len(result["replayed"]) == 1, result
    assert result["dead_lettered"] == 1, result


def landing_flow(emulator: Emulator, pipeline: DeployedPipeline) -> None:
    """The landing zone, after pipeline_flow (its bronze tables are there): arrivals (a new file, the
    same content again, a key outside a dataset folder, a name WordPress's bronze owns), then two
    Landing_To_Silver runs through its alias with a Lambda threshold of 200 bytes, so small files are
    loaded by the function and larger ones by the file job, valid and invalid on both paths; a dataset
    whose contract is broken fails its file (the state machine records FAILED); the second run finds
    the tables in place (UpdateTable) and silver quarantines a dataset; the third publishes clicks a
    third time (the silver job removes the run folder it superseded)."""
    deployment = read_deployment(emulator.account_id, emulator.region)
    topic = pipeline.topic_arns["failure_stepfunction"]
    landing = dataclasses.replace(read_landing_deployment(deployment, topic), lambda_max_file_bytes=200)
    deployed = deploy_landing(emulator, deployment, landing, topic)
    enable_arrival(emulator, deployment, landing, deployed)
    s3, sfn = emulator.client("s3"), emulator.client("stepfunctions")
    s3.put_object(
        Bucket=deployment.artifacts_bucket, Key=f"{landing.contracts_prefix}broken_contract.json", Body=b"{"
    )

    def put(key: str, body: bytes) -> None:
        s3.put_object(Bucket=deployment.raw_bucket, Key=key, Body=body)

    signup = b"signup_id,email,signed_up_on,source,confirmed\n1,a@example.com,2026-11-02,form,true\n"
    clicks = b"click_id,page\n" + b"".join(b"%d,/page-%d\n" % (n, n) for n in range(40))  # > 200 bytes
    put("landing/newsletter_signups/a.csv", signup)
    put("landing/newsletter_signups/a-again.csv", signup)  # the same content: not registered again
    put("landing/loose.csv", b"x\n1\n")  # outside a dataset folder: refused
    put("landing/posts/x.csv", b"id\n1\n")  # WordPress's bronze table owns the name: refused
    put("landing/newsletter_signups/broken.json", b'[{"signup_id": 2')  # invalid, in the function
    put("landing/clicks/big.csv", clicks)  # the file job creates the table
    put("landing/clicks/big-broken.csv", clicks + b"1,2,3\n")  # invalid, in the file job
    put("landing/clicks/small.csv", b"click_id,page\n99,/\n")  # the function extends the table
    put("landing/broken_contract/x.csv", b"a\n1\n")  # the contract does not parse: FAILED
    for gone in ("landing/clicks/gone.csv", "landing/clicks/big-gone.csv"):  # deleted before the run
        put(gone, b"click_id,page\n7,/\n" if gone.endswith("/gone.csv") else clicks + b"8,/\n")
        s3.delete_object(Bucket=deployment.raw_bucket, Key=gone)
    first = run_execution(
        sfn, deployed.alias_arn, {"trigger": "iam"}, name="iam-landing", timeout_seconds=600
    )
    assert first["status"] == "FAILED" and first["error"] == "LandingFilesNeedAttention", first
    put(
        "landing/newsletter_signups/dupes.csv",
        signup.replace(b"a@", b"b@") + b"1,c@example.com,2026-11-03,form,false\n",
    )
    put("landing/clicks/big-2.csv", clicks.replace(b"/page", b"/p2"))  # the file job updates the table
    second = run_execution(
        sfn, deployed.alias_arn, {"trigger": "iam"}, name="iam-landing-quarantine", timeout_seconds=600
    )
    assert second["status"] == "FAILED" and second["error"] == "LandingFilesNeedAttention", second
    # A third publish of clicks: the silver job removes the run folder two publishes old.
    put("landing/clicks/small-3.csv", b"click_id,page\n100,/three\n")
    third = run_execution(
        sfn, deployed.alias_arn, {"trigger": "iam"}, name="iam-landing-third", timeout_seconds=600
    )
    assert third["status"] == "SUCCEEDED", third


def run_flows(emulator: Emulator) -> list[Call]:
    pipeline = pipeline_flow(emulator)
    glue_cost_control_flow(emulator)
    replay_flow(emulator, pipeline)
    landing_flow(emulator, pipeline)
    return all_calls(emulator)
