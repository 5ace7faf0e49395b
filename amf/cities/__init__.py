"""ASEAN Smart Cities Network: member states, pilot cities and their officers."""
