"""gdpr-lint: find personal data that reaches OpenAI requests, and pseudonymise it."""

__version__ = "0.1.0"

# Where gdpr-lint's source and documentation live (SARIF's informationUri and helpUri point
# here; the same URL is in pyproject.toml's [project.urls]). OWNER is the account or group
# that hosts the repository.
REPOSITORY_URL = "https://github.com/OWNER/gdpr-lint"
