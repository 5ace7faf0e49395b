"""The audit log: who changed what (its viewer is amf/organiser/views/audit.py)."""
