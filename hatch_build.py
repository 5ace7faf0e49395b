"""Build hook: ship the top-level templates, static files, migrations and config in wheels."""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

RESOURCES = {
    "templates": "amf/templates",
    "static": "amf/static",
    "migrations": "amf/migrations",
    "config.py": "config.py",
}


class CustomBuildHook(BuildHookInterface):
    """Add the resources to regular wheels; editable installs use the checkout itself."""

    def initialize(self, version: str, build_data: dict) -> None:
        """Force-include the resources unless this is an editable build."""
        if version != "editable":
            build_data["force_include"].update(RESOURCES)
