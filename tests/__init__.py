"""newsqa's tests. Imported before any conftest, so what is set here holds for every test."""

import os

# gradio_client starts a telemetry thread for every Client, which would post to huggingface.co;
# tests reach loopback only. huggingface_hub reads this once, when it is first imported.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
