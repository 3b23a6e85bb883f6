output "function_name" {
  description = "Name of the function (known at plan time)."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the function (metrics, logs; callers invoke alias_arn)."
  value       = aws_lambda_function.this.arn
}

output "version" {
  description = "The version published by the last change."
  value       = aws_lambda_function.this.version
}

output "alias_arn" {
  description = "ARN of the live alias: what state machines and schedules invoke, and what their roles may invoke."
  value       = aws_lambda_alias.live.arn
}

output "alias_name" {
  description = "Name of the alias (the qualifier at the end of alias_arn)."
  value       = aws_lambda_alias.live.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role (and of its inline policy)."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group (/aws/lambda/<name>)."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}
