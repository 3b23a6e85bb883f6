# Upgrades in place: where the previous release kept each resource whose address changed. Terraform
# moves it in the state instead of destroying and re-creating it. tests/upgrade applies the release
# named in tests/upgrade/base.py offline and checks that planning this configuration against its
# state creates, destroys and replaces nothing.
#
# The Lambda functions and schedules of modules/pipeline and modules/failure-replay now come from
# modules/lambda-function and modules/daily-schedule (issue 17).

# --- modules/pipeline: the raw and bronze functions, the daily schedule --------------------------

moved {
  from = module.pipeline.aws_cloudwatch_log_group.function["raw"]
  to   = module.pipeline.module.function["raw"].aws_cloudwatch_log_group.this
}

moved {
  from = module.pipeline.aws_iam_role.function["raw"]
  to   = module.pipeline.module.function["raw"].aws_iam_role.this
}

moved {
  from = module.pipeline.aws_iam_role_policy.function["raw"]
  to   = module.pipeline.module.function["raw"].aws_iam_role_policy.this
}

moved {
  from = module.pipeline.aws_lambda_function.this["raw"]
  to   = module.pipeline.module.function["raw"].aws_lambda_function.this
}

moved {
  from = module.pipeline.aws_lambda_alias.live["raw"]
  to   = module.pipeline.module.function["raw"].aws_lambda_alias.live
}

moved {
  from = module.pipeline.aws_cloudwatch_log_group.function["bronze"]
  to   = module.pipeline.module.function["bronze"].aws_cloudwatch_log_group.this
}

moved {
  from = module.pipeline.aws_iam_role.function["bronze"]
  to   = module.pipeline.module.function["bronze"].aws_iam_role.this
}

moved {
  from = module.pipeline.aws_iam_role_policy.function["bronze"]
  to   = module.pipeline.module.function["bronze"].aws_iam_role_policy.this
}

moved {
  from = module.pipeline.aws_lambda_function.this["bronze"]
  to   = module.pipeline.module.function["bronze"].aws_lambda_function.this
}

moved {
  from = module.pipeline.aws_lambda_alias.live["bronze"]
  to   = module.pipeline.module.function["bronze"].aws_lambda_alias.live
}

moved {
  from = module.pipeline.aws_sqs_queue.schedule_dead_letter
  to   = module.pipeline.module.schedule.aws_sqs_queue.dead_letter[0]
}

moved {
  from = module.pipeline.aws_iam_role.scheduler
  to   = module.pipeline.module.schedule.aws_iam_role.this
}

moved {
  from = module.pipeline.aws_iam_role_policy.scheduler
  to   = module.pipeline.module.schedule.aws_iam_role_policy.this
}

moved {
  from = module.pipeline.aws_scheduler_schedule.this
  to   = module.pipeline.module.schedule.aws_scheduler_schedule.this
}

moved {
  from = module.pipeline.aws_cloudwatch_metric_alarm.schedule_dead_letter
  to   = module.pipeline.module.schedule.aws_cloudwatch_metric_alarm.dead_letter[0]
}

# --- modules/failure-replay: the replay function and its schedule --------------------------------

moved {
  from = module.failure_replay.aws_cloudwatch_log_group.function
  to   = module.failure_replay.module.function.aws_cloudwatch_log_group.this
}

moved {
  from = module.failure_replay.aws_iam_role.function
  to   = module.failure_replay.module.function.aws_iam_role.this
}

moved {
  from = module.failure_replay.aws_iam_role_policy.function
  to   = module.failure_replay.module.function.aws_iam_role_policy.this
}

moved {
  from = module.failure_replay.aws_lambda_function.this
  to   = module.failure_replay.module.function.aws_lambda_function.this
}

moved {
  from = module.failure_replay.aws_lambda_alias.live
  to   = module.failure_replay.module.function.aws_lambda_alias.live
}

moved {
  from = module.failure_replay.aws_iam_role.scheduler
  to   = module.failure_replay.module.schedule.aws_iam_role.this
}

moved {
  from = module.failure_replay.aws_iam_role_policy.scheduler
  to   = module.failure_replay.module.schedule.aws_iam_role_policy.this
}

moved {
  from = module.failure_replay.aws_scheduler_schedule.this
  to   = module.failure_replay.module.schedule.aws_scheduler_schedule.this
}
