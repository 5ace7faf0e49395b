"""`flask amf` commands: reference data and demo content."""

from __future__ import annotations

import click
from flask.cli import AppGroup

amf_cli = AppGroup("amf", help="AMF Events administration.")


@amf_cli.command("seed")
def seed_command() -> None:
    """Load or update the ASEAN member states, pilot cities and officers."""
    from amf.cities.services import seed_reference_data

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
@click.option("--reset", is_flag=True, help="Replace the AMF 2022 demo event if it exists.")
@click.option("--remove", is_flag=True, help="Delete every event marked as demo data.")
def demo_command(sessions: int | None, event_count: int, reset: bool, remove: bool) -> None:
    """Load the AMF 2022 demo event, or generate synthetic events for benchmarks."""
    from amf.events import demo

    if remove:
        click.echo(f"Removed {demo.remove_demo_events()} demo event(s).")
        return
    if sessions:
        for event in demo.generate_synthetic_events(event_count, sessions):
            click.echo(f"Generated {event.slug} with {sessions} sessions.")
        return
    event, created = demo.load_amf2022(reset=reset)
    verb = "Loaded" if created else "Already present:"
    click.echo(f"{verb} {event.title} ({event.slug}).")
