"""Notices to many delegates at once (agenda changes, cancellations), queued in batches."""
