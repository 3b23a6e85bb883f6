terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Local state on purpose: this configuration creates the remote state backend itself.
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(
      {
        Project   = "serverless-lakehouse"
        ManagedBy = "terraform"
        Component = "terraform-state"
      },
      var.tags,
    )
  }
}
