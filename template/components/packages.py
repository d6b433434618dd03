"""The project's private Python package repository: CodeArtifact, with the public Python index as its upstream
through CodeArtifact's external connection, so no build reaches the public index directly (a VPC without internet
reaches CodeArtifact through its codeartifact.api and codeartifact.repositories endpoints)."""
import aws_cdk as cdk
from aws_cdk import aws_codeartifact as codeartifact
from aws_cdk import aws_iam as iam
from constructs import Construct

EXTERNAL_CONNECTION = "public:pypi"  # CodeArtifact's name for the public Python index's connection
STORE, REPOSITORY = "pypi-store", "packages"


class PackageRepository(Construct):
    """A domain per project (named after the lower-case project id, as CodeArtifact requires lower case), encrypted
    with the project's key; `packages` reads through `pypi-store`, which holds the external connection."""

    def __init__(self, scope: Construct, construct_id: str, *, project_id: str, key_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.domain_name = f"sagemaker-{project_id}"
        self.repository_name = REPOSITORY
        domain = codeartifact.CfnDomain(self, "Domain", domain_name=self.domain_name, encryption_key=key_arn)
        store = codeartifact.CfnRepository(self, "Store", domain_name=self.domain_name, repository_name=STORE,
                                           description="The public Python index, through CodeArtifact",
                                           external_connections=[EXTERNAL_CONNECTION])
        repository = codeartifact.CfnRepository(self, "Repository", domain_name=self.domain_name,
                                                repository_name=REPOSITORY, upstreams=[STORE],
                                                description="What the project's builds pip-install from")
        store.add_resource_dependency(domain)
        repository.add_resource_dependency(store)

    def environment(self) -> dict[str, str]:
        """What every buildspec's `aws codeartifact login --tool pip` takes (docs/contracts.md)."""
        return {"CODEARTIFACT_DOMAIN": self.domain_name, "CODEARTIFACT_DOMAIN_OWNER": cdk.Aws.ACCOUNT_ID,
                "CODEARTIFACT_REPOSITORY": self.repository_name}

    def read_statements(self) -> list[iam.PolicyStatement]:
        """`aws codeartifact login` and pip's reads (CodeArtifact User Guide, tokens-authentication and
        repo-policies): a token for this domain, this repository's endpoint and packages."""
        stack = cdk.Stack.of(self)
        domain = stack.format_arn(service="codeartifact", resource="domain", resource_name=self.domain_name)
        repository = stack.format_arn(service="codeartifact", resource="repository",
                                      resource_name=f"{self.domain_name}/{self.repository_name}")
        return [
            iam.PolicyStatement(actions=["codeartifact:GetAuthorizationToken"], resources=[domain]),
            iam.PolicyStatement(actions=["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
                                resources=[repository]),
            iam.PolicyStatement(actions=["sts:GetServiceBearerToken"], resources=["*"],
                                conditions={"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}),
        ]
