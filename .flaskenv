# Read by `flask` (python-dotenv) when run from the repository root, so that every
# `flask ...` line in the README works as copied.
FLASK_APP=amf
