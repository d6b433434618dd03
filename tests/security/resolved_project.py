"""The project, account and portfolio parameters every security test resolves the templates for."""
PROJECT = {"SageMakerProjectName": "abalone", "SageMakerProjectId": "p-abc123def456"}
ACCOUNT = "123456789012"  # resolve.py's AWS::AccountId
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-project/sagemaker-project-role-boundary"
PORTFOLIO = {"TemplateBucket": "assets-bucket", "TemplateKey": "sagemaker-project/1.0.0/sagemaker-project.json",
             "ProductVersion": "1.0.0", "StudioExecutionRoleArns": [f"arn:aws:iam::{ACCOUNT}:role/studio"]}

