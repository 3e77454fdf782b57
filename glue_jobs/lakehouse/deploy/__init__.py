"""Deployment to AWS: render CloudFormation from the project's definitions, package, deploy."""
