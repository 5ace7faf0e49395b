"""The `flask amf` group: assembles the features' commands and runs the mail worker."""

from __future__ import annotations

import signal
import threading

import click
from flask.cli import AppGroup

from amf.accounts.cli import create_organiser_command
from amf.cities.services import seed_reference_data
from amf.db import utcnow
from amf.events import demo
from amf.extensions import db
from amf.mail.delivery import DeliveryReport, run_worker
from amf.mail.models import OutboxStatus
from amf.mail.services import queue_templated_message, retry_failed_message
from amf.notices.services import process_pending_runs
from amf.registration.services import expire_unverified

amf_cli = AppGroup("amf", help="AMF Events administration.")
amf_cli.add_command(create_organiser_command)


@amf_cli.command("seed")
def seed_command() -> None:
    """Load or update the ASEAN member states, pilot cities and officers."""
    report = seed_reference_data()
    click.echo(
        f"Reference data: {report.member_states} member states, {report.cities} pilot cities, "
        f"{report.officers} officers; {report.created} created, {report.updated} updated."
    )


@amf_cli.command("demo")
@click.option(
    "--sessions", type=click.IntRange(min=1), help="Generate synthetic agendas of N sessions."
)
@click.option(
    "--events",
    "event_count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --sessions: how many synthetic events.",
)
@click.option("--reset", is_flag=True, help="Replace the demo events if they exist.")
@click.option("--remove", is_flag=True, help="Delete every event marked as demo data.")
def demo_command(sessions: int | None, event_count: int, reset: bool, remove: bool) -> None:
    """Load AMF 2022 and a practice event open for registration, or synthetic events."""
    if remove:
        click.echo(f"Removed {demo.remove_demo_events()} demo event(s).")
        return
    if sessions:
        for event in demo.generate_synthetic_events(event_count, sessions):
            click.echo(f"Generated {event.slug} with {sessions} sessions.")
        return
    for loader in (demo.load_amf2022, demo.load_practice_event):
        event, created = loader(reset=reset)
        verb = "Loaded" if created else "Already present:"
        click.echo(f"{verb} {event.title} ({event.slug}).")


@amf_cli.command("expire-registrations")
def expire_registrations_command() -> None:
    """Expire registrations whose email was not verified in time (run it from cron)."""
    click.echo(f"Expired {expire_unverified()} unverified registration(s).")


@amf_cli.command("send-mail")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--worker-id", help="Name recorded on claimed messages (default host:pid).")
def send_mail_command(once: bool, worker_id: str | None) -> None:
    """Deliver queued email; runs until SIGINT/SIGTERM unless --once."""
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        click.echo("Stopping after the current message…", err=True)
        stop.set()

    def show(report: DeliveryReport) -> None:
        queued = process_pending_runs()  # agenda notices for many delegates, batch by batch
        db.session.remove()  # the worker lives long: each pass starts with a fresh session
        if queued:
            click.echo(f"Queued {queued} notice(s) to delegates.")
        if report.sent or report.retrying or report.failed:
            click.echo(f"Sent {report.sent}, retrying {report.retrying}, failed {report.failed}.")

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        process_pending_runs()
        total = run_worker(once=once, stop=stop, worker_id=worker_id, on_pass=show)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(
        f"Mail worker done: {total.sent} sent, {total.retrying} to retry, {total.failed} failed."
    )


@amf_cli.command("send-test-mail")
@click.argument("email")
def send_test_mail_command(email: str) -> None:
    """Queue and send a test message to EMAIL, to check the mail settings."""
    try:
        message = queue_templated_message("test_message", email, context={"sent_at": utcnow()})
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc
    db.session.commit()
    db.session.refresh(message)
    if message.status == OutboxStatus.SENT:
        click.echo(f"Sent test message {message.message_id} to {email}.")
    else:
        click.echo(
            f"Queued test message {message.message_id} ({message.status.value}): "
            f"{message.last_error or 'the worker will send it'}."
        )


@amf_cli.command("retry-mail")
@click.argument("message_id", type=int)
def retry_mail_command(message_id: int) -> None:
    """Put a failed outbox message back in the queue."""
    message = retry_failed_message(message_id)
    if message is None:
        raise click.ClickException(f"No failed message with id {message_id}.")
    click.echo(f"Message {message_id} queued again.")
