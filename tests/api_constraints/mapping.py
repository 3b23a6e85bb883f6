# ruff: noqa: E501 - one mapping per line reads best in this table
"""Which AWS API parameter receives each resource argument the project sets.

`ARGUMENTS[resource type][argument path] = "service.Operation.Member.Path"`: the argument path walks
nested blocks with dots (`logging_config.log_format`), the API path walks the operation's input
shape in botocore's service model, `[]` stepping into a list's members
(`events.PutTargets.Targets[].Id`). A type whose arguments reach no constrained parameter still has
an entry (possibly empty, with a reason in `UNCONSTRAINED`), so that a resource type added to the
configuration without a mapping fails `test_every_resource_type_has_a_mapping`.

The types other work is adding (Glue job and security configuration, DynamoDB tables, queue and log
resource policies, Lambda and Step Functions aliases, S3 objects, ...) are mapped already.
"""

from __future__ import annotations

ARGUMENTS: dict[str, dict[str, str]] = {
    "aws_athena_workgroup": {
        "name": "athena.CreateWorkGroup.Name",
        "description": "athena.CreateWorkGroup.Description",
        "state": "athena.UpdateWorkGroup.State",
        "configuration.bytes_scanned_cutoff_per_query": "athena.CreateWorkGroup.Configuration.BytesScannedCutoffPerQuery",
        "configuration.engine_version.selected_engine_version": (
            "athena.CreateWorkGroup.Configuration.EngineVersion.SelectedEngineVersion"
        ),
        "configuration.result_configuration.output_location": (
            "athena.CreateWorkGroup.Configuration.ResultConfiguration.OutputLocation"
        ),
        "configuration.result_configuration.encryption_configuration.encryption_option": (
            "athena.CreateWorkGroup.Configuration.ResultConfiguration.EncryptionConfiguration.EncryptionOption"
        ),
    },
    "aws_athena_named_query": {
        "name": "athena.CreateNamedQuery.Name",
        "description": "athena.CreateNamedQuery.Description",
        "database": "athena.CreateNamedQuery.Database",
        "query": "athena.CreateNamedQuery.QueryString",
        "workgroup": "athena.CreateNamedQuery.WorkGroup",
    },
    "aws_cloudwatch_event_rule": {
        "name": "events.PutRule.Name",
        "description": "events.PutRule.Description",
        "event_pattern": "events.PutRule.EventPattern",
        "schedule_expression": "events.PutRule.ScheduleExpression",
        "state": "events.PutRule.State",
        "event_bus_name": "events.PutRule.EventBusName",
        "role_arn": "events.PutRule.RoleArn",
    },
    "aws_cloudwatch_event_target": {
        "rule": "events.PutTargets.Rule",
        "event_bus_name": "events.PutTargets.EventBusName",
        "target_id": "events.PutTargets.Targets[].Id",
        "arn": "events.PutTargets.Targets[].Arn",
        "role_arn": "events.PutTargets.Targets[].RoleArn",
        "input": "events.PutTargets.Targets[].Input",
        "input_path": "events.PutTargets.Targets[].InputPath",
        "input_transformer.input_template": "events.PutTargets.Targets[].InputTransformer.InputTemplate",
        "retry_policy.maximum_retry_attempts": "events.PutTargets.Targets[].RetryPolicy.MaximumRetryAttempts",
        "retry_policy.maximum_event_age_in_seconds": (
            "events.PutTargets.Targets[].RetryPolicy.MaximumEventAgeInSeconds"
        ),
        "dead_letter_config.arn": "events.PutTargets.Targets[].DeadLetterConfig.Arn",
    },
    "aws_cloudwatch_log_group": {
        "name": "logs.CreateLogGroup.logGroupName",
        "retention_in_days": "logs.PutRetentionPolicy.retentionInDays",
        "kms_key_id": "logs.CreateLogGroup.kmsKeyId",
        "log_group_class": "logs.CreateLogGroup.logGroupClass",
    },
    "aws_cloudwatch_log_resource_policy": {
        "policy_name": "logs.PutResourcePolicy.policyName",
        "policy_document": "logs.PutResourcePolicy.policyDocument",
    },
    "aws_cloudwatch_metric_alarm": {
        "alarm_name": "cloudwatch.PutMetricAlarm.AlarmName",
        "alarm_description": "cloudwatch.PutMetricAlarm.AlarmDescription",
        "comparison_operator": "cloudwatch.PutMetricAlarm.ComparisonOperator",
        "evaluation_periods": "cloudwatch.PutMetricAlarm.EvaluationPeriods",
        "datapoints_to_alarm": "cloudwatch.PutMetricAlarm.DatapointsToAlarm",
        "metric_name": "cloudwatch.PutMetricAlarm.MetricName",
        "namespace": "cloudwatch.PutMetricAlarm.Namespace",
        "period": "cloudwatch.PutMetricAlarm.Period",
        "statistic": "cloudwatch.PutMetricAlarm.Statistic",
        "treat_missing_data": "cloudwatch.PutMetricAlarm.TreatMissingData",
        "alarm_actions": "cloudwatch.PutMetricAlarm.AlarmActions",
        "ok_actions": "cloudwatch.PutMetricAlarm.OKActions",
        "insufficient_data_actions": "cloudwatch.PutMetricAlarm.InsufficientDataActions",
        "dimensions": "cloudwatch.PutMetricAlarm.Dimensions",
    },
    "aws_dynamodb_table": {
        "name": "dynamodb.CreateTable.TableName",
        "billing_mode": "dynamodb.CreateTable.BillingMode",
        "hash_key": "dynamodb.CreateTable.KeySchema[].AttributeName",
        "range_key": "dynamodb.CreateTable.KeySchema[].AttributeName",
        "attribute.name": "dynamodb.CreateTable.AttributeDefinitions[].AttributeName",
        "attribute.type": "dynamodb.CreateTable.AttributeDefinitions[].AttributeType",
        "table_class": "dynamodb.CreateTable.TableClass",
        "ttl.attribute_name": "dynamodb.UpdateTimeToLive.TimeToLiveSpecification.AttributeName",
    },
    "aws_glue_catalog_database": {
        "name": "glue.CreateDatabase.DatabaseInput.Name",
        "description": "glue.CreateDatabase.DatabaseInput.Description",
    },
    "aws_glue_catalog_table": {
        "name": "glue.CreateTable.TableInput.Name",
        "database_name": "glue.CreateTable.DatabaseName",
        "table_type": "glue.CreateTable.TableInput.TableType",
        "description": "glue.CreateTable.TableInput.Description",
    },
    "aws_glue_job": {
        "name": "glue.CreateJob.Name",
        "description": "glue.CreateJob.Description",
        "role_arn": "glue.CreateJob.Role",
        "glue_version": "glue.CreateJob.GlueVersion",
        "worker_type": "glue.CreateJob.WorkerType",
        "number_of_workers": "glue.CreateJob.NumberOfWorkers",
        "timeout": "glue.CreateJob.Timeout",
        "max_retries": "glue.CreateJob.MaxRetries",
        "security_configuration": "glue.CreateJob.SecurityConfiguration",
        "execution_class": "glue.CreateJob.ExecutionClass",
        "job_run_queuing_enabled": "glue.CreateJob.JobRunQueuingEnabled",
        "command.name": "glue.CreateJob.Command.Name",
        "command.script_location": "glue.CreateJob.Command.ScriptLocation",
        "command.python_version": "glue.CreateJob.Command.PythonVersion",
        "execution_property.max_concurrent_runs": "glue.CreateJob.ExecutionProperty.MaxConcurrentRuns",
    },
    "aws_glue_security_configuration": {
        "name": "glue.CreateSecurityConfiguration.Name",
        "encryption_configuration.s3_encryption.s3_encryption_mode": (
            "glue.CreateSecurityConfiguration.EncryptionConfiguration.S3Encryption[].S3EncryptionMode"
        ),
        "encryption_configuration.s3_encryption.kms_key_arn": (
            "glue.CreateSecurityConfiguration.EncryptionConfiguration.S3Encryption[].KmsKeyArn"
        ),
        "encryption_configuration.cloudwatch_encryption.cloudwatch_encryption_mode": (
            "glue.CreateSecurityConfiguration.EncryptionConfiguration.CloudWatchEncryption.CloudWatchEncryptionMode"
        ),
        "encryption_configuration.cloudwatch_encryption.kms_key_arn": (
            "glue.CreateSecurityConfiguration.EncryptionConfiguration.CloudWatchEncryption.KmsKeyArn"
        ),
        "encryption_configuration.job_bookmarks_encryption.job_bookmarks_encryption_mode": (
            "glue.CreateSecurityConfiguration.EncryptionConfiguration.JobBookmarksEncryption.JobBookmarksEncryptionMode"
        ),
        "encryption_configuration.job_bookmarks_encryption.kms_key_arn": (
            "glue.CreateSecurityConfiguration.EncryptionConfiguration.JobBookmarksEncryption.KmsKeyArn"
        ),
    },
    "aws_iam_policy": {
        "name": "iam.CreatePolicy.PolicyName",
        "description": "iam.CreatePolicy.Description",
        "policy": "iam.CreatePolicy.PolicyDocument",
        "path": "iam.CreatePolicy.Path",
    },
    "aws_iam_role": {
        "name": "iam.CreateRole.RoleName",
        "description": "iam.CreateRole.Description",
        "assume_role_policy": "iam.CreateRole.AssumeRolePolicyDocument",
        "max_session_duration": "iam.CreateRole.MaxSessionDuration",
        "path": "iam.CreateRole.Path",
        "permissions_boundary": "iam.CreateRole.PermissionsBoundary",
    },
    "aws_iam_role_policy": {
        "name": "iam.PutRolePolicy.PolicyName",
        "role": "iam.PutRolePolicy.RoleName",
        "policy": "iam.PutRolePolicy.PolicyDocument",
    },
    "aws_iam_role_policy_attachment": {
        "role": "iam.AttachRolePolicy.RoleName",
        "policy_arn": "iam.AttachRolePolicy.PolicyArn",
    },
    "aws_kms_alias": {
        "name": "kms.CreateAlias.AliasName",
        "target_key_id": "kms.CreateAlias.TargetKeyId",
    },
    "aws_kms_key": {
        "description": "kms.CreateKey.Description",
        "key_usage": "kms.CreateKey.KeyUsage",
        "customer_master_key_spec": "kms.CreateKey.KeySpec",
        "policy": "kms.CreateKey.Policy",
        "deletion_window_in_days": "kms.ScheduleKeyDeletion.PendingWindowInDays",
        "rotation_period_in_days": "kms.EnableKeyRotation.RotationPeriodInDays",
    },
    "aws_lambda_alias": {
        "name": "lambda.CreateAlias.Name",
        "function_name": "lambda.CreateAlias.FunctionName",
        "function_version": "lambda.CreateAlias.FunctionVersion",
        "description": "lambda.CreateAlias.Description",
    },
    "aws_lambda_function": {
        "function_name": "lambda.CreateFunction.FunctionName",
        "description": "lambda.CreateFunction.Description",
        "handler": "lambda.CreateFunction.Handler",
        "runtime": "lambda.CreateFunction.Runtime",
        "role": "lambda.CreateFunction.Role",
        "memory_size": "lambda.CreateFunction.MemorySize",
        "timeout": "lambda.CreateFunction.Timeout",
        "architectures": "lambda.CreateFunction.Architectures",
        "layers": "lambda.CreateFunction.Layers",
        "ephemeral_storage.size": "lambda.CreateFunction.EphemeralStorage.Size",
        "environment.variables": "lambda.CreateFunction.Environment.Variables",
        "logging_config.log_format": "lambda.CreateFunction.LoggingConfig.LogFormat",
        "logging_config.log_group": "lambda.CreateFunction.LoggingConfig.LogGroup",
        "logging_config.application_log_level": "lambda.CreateFunction.LoggingConfig.ApplicationLogLevel",
        "logging_config.system_log_level": "lambda.CreateFunction.LoggingConfig.SystemLogLevel",
        "tracing_config.mode": "lambda.CreateFunction.TracingConfig.Mode",
        "reserved_concurrent_executions": "lambda.PutFunctionConcurrency.ReservedConcurrentExecutions",
    },
    "aws_lambda_layer_version": {
        "layer_name": "lambda.PublishLayerVersion.LayerName",
        "description": "lambda.PublishLayerVersion.Description",
        "compatible_runtimes": "lambda.PublishLayerVersion.CompatibleRuntimes",
        "compatible_architectures": "lambda.PublishLayerVersion.CompatibleArchitectures",
        "license_info": "lambda.PublishLayerVersion.LicenseInfo",
    },
    "aws_lambda_permission": {
        "statement_id": "lambda.AddPermission.StatementId",
        "action": "lambda.AddPermission.Action",
        "function_name": "lambda.AddPermission.FunctionName",
        "principal": "lambda.AddPermission.Principal",
        "source_arn": "lambda.AddPermission.SourceArn",
        "qualifier": "lambda.AddPermission.Qualifier",
    },
    "aws_s3_bucket": {"bucket": "s3.CreateBucket.Bucket"},
    "aws_s3_bucket_lifecycle_configuration": {
        "bucket": "s3.PutBucketLifecycleConfiguration.Bucket",
        "rule.id": "s3.PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[].ID",
        "rule.status": "s3.PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[].Status",
        "rule.expiration.days": "s3.PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[].Expiration.Days",
        "rule.noncurrent_version_expiration.noncurrent_days": (
            "s3.PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[].NoncurrentVersionExpiration.NoncurrentDays"
        ),
        "rule.abort_incomplete_multipart_upload.days_after_initiation": (
            "s3.PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[]"
            ".AbortIncompleteMultipartUpload.DaysAfterInitiation"
        ),
    },
    "aws_s3_bucket_notification": {"bucket": "s3.PutBucketNotificationConfiguration.Bucket"},
    "aws_s3_bucket_ownership_controls": {
        "bucket": "s3.PutBucketOwnershipControls.Bucket",
        "rule.object_ownership": "s3.PutBucketOwnershipControls.OwnershipControls.Rules[].ObjectOwnership",
    },
    "aws_s3_bucket_policy": {"bucket": "s3.PutBucketPolicy.Bucket", "policy": "s3.PutBucketPolicy.Policy"},
    "aws_s3_bucket_public_access_block": {"bucket": "s3.PutPublicAccessBlock.Bucket"},
    "aws_s3_bucket_server_side_encryption_configuration": {
        "bucket": "s3.PutBucketEncryption.Bucket",
        "rule.apply_server_side_encryption_by_default.sse_algorithm": (
            "s3.PutBucketEncryption.ServerSideEncryptionConfiguration.Rules[]"
            ".ApplyServerSideEncryptionByDefault.SSEAlgorithm"
        ),
        "rule.apply_server_side_encryption_by_default.kms_master_key_id": (
            "s3.PutBucketEncryption.ServerSideEncryptionConfiguration.Rules[]"
            ".ApplyServerSideEncryptionByDefault.KMSMasterKeyID"
        ),
    },
    "aws_s3_bucket_versioning": {
        "bucket": "s3.PutBucketVersioning.Bucket",
        "versioning_configuration.status": "s3.PutBucketVersioning.VersioningConfiguration.Status",
    },
    "aws_s3_object": {
        "bucket": "s3.PutObject.Bucket",
        "key": "s3.PutObject.Key",
        "content_type": "s3.PutObject.ContentType",
        "server_side_encryption": "s3.PutObject.ServerSideEncryption",
        "kms_key_id": "s3.PutObject.SSEKMSKeyId",
        "storage_class": "s3.PutObject.StorageClass",
    },
    "aws_scheduler_schedule": {
        "name": "scheduler.CreateSchedule.Name",
        "group_name": "scheduler.CreateSchedule.GroupName",
        "description": "scheduler.CreateSchedule.Description",
        "schedule_expression": "scheduler.CreateSchedule.ScheduleExpression",
        "schedule_expression_timezone": "scheduler.CreateSchedule.ScheduleExpressionTimezone",
        "state": "scheduler.CreateSchedule.State",
        "kms_key_arn": "scheduler.CreateSchedule.KmsKeyArn",
        "flexible_time_window.mode": "scheduler.CreateSchedule.FlexibleTimeWindow.Mode",
        "flexible_time_window.maximum_window_in_minutes": (
            "scheduler.CreateSchedule.FlexibleTimeWindow.MaximumWindowInMinutes"
        ),
        "target.arn": "scheduler.CreateSchedule.Target.Arn",
        "target.role_arn": "scheduler.CreateSchedule.Target.RoleArn",
        "target.input": "scheduler.CreateSchedule.Target.Input",
        "target.retry_policy.maximum_retry_attempts": "scheduler.CreateSchedule.Target.RetryPolicy.MaximumRetryAttempts",
        "target.retry_policy.maximum_event_age_in_seconds": (
            "scheduler.CreateSchedule.Target.RetryPolicy.MaximumEventAgeInSeconds"
        ),
        "target.dead_letter_config.arn": "scheduler.CreateSchedule.Target.DeadLetterConfig.Arn",
    },
    "aws_scheduler_schedule_group": {"name": "scheduler.CreateScheduleGroup.Name"},
    "aws_sfn_alias": {
        "name": "stepfunctions.CreateStateMachineAlias.name",
        "description": "stepfunctions.CreateStateMachineAlias.description",
        "routing_configuration.state_machine_version_arn": (
            "stepfunctions.CreateStateMachineAlias.routingConfiguration[].stateMachineVersionArn"
        ),
        "routing_configuration.weight": "stepfunctions.CreateStateMachineAlias.routingConfiguration[].weight",
    },
    "aws_sfn_state_machine": {
        "name": "stepfunctions.CreateStateMachine.name",
        "definition": "stepfunctions.CreateStateMachine.definition",
        "role_arn": "stepfunctions.CreateStateMachine.roleArn",
        "type": "stepfunctions.CreateStateMachine.type",
        "version_description": "stepfunctions.CreateStateMachine.versionDescription",
        "logging_configuration.level": "stepfunctions.CreateStateMachine.loggingConfiguration.level",
        "logging_configuration.log_destination": (
            "stepfunctions.CreateStateMachine.loggingConfiguration.destinations[].cloudWatchLogsLogGroup.logGroupArn"
        ),
    },
    # display_name, kms_master_key_id, policy: entries of CreateTopic's free-form Attributes map.
    "aws_sns_topic": {"name": "sns.CreateTopic.Name"},
    "aws_sns_topic_policy": {
        "arn": "sns.SetTopicAttributes.TopicArn",
        "policy": "sns.SetTopicAttributes.AttributeValue",
    },
    "aws_sns_topic_subscription": {
        "topic_arn": "sns.Subscribe.TopicArn",
        "protocol": "sns.Subscribe.Protocol",
        "endpoint": "sns.Subscribe.Endpoint",
    },
    "aws_sqs_queue": {"name": "sqs.CreateQueue.QueueName"},
    "aws_sqs_queue_policy": {"queue_url": "sqs.SetQueueAttributes.QueueUrl"},
    "aws_sqs_queue_redrive_allow_policy": {"queue_url": "sqs.SetQueueAttributes.QueueUrl"},
    "aws_ssm_parameter": {
        "name": "ssm.PutParameter.Name",
        "description": "ssm.PutParameter.Description",
        "type": "ssm.PutParameter.Type",
        "value": "ssm.PutParameter.Value",
        "tier": "ssm.PutParameter.Tier",
        "data_type": "ssm.PutParameter.DataType",
        "key_id": "ssm.PutParameter.KeyId",
    },
}

# Resource types whose API parameters carry no constraint in the service model, and why that is fine.
UNCONSTRAINED: dict[str, str] = {}
