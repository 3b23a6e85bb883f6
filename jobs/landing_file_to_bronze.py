"""PLACEHOLDER on engineer C's branch (terraform validate/plan need the file); replaced at merge."""

import boto3

if __name__ == "__main__":
    glue = boto3.client("glue")
    glue.get_job(JobName="landing_file_to_bronze")
