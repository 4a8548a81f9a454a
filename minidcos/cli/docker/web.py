"""web: the cluster's web UI."""

from __future__ import annotations

import click

from minidcos import iam
from minidcos.cli import _options as opt
from minidcos.cluster import Cluster


@click.command()
@opt.cluster_id()
@click.option(
    "--email",
    default=iam.WEB_USER,
    show_default=True,
    help="With auth on: the user the login link logs in (added if missing).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the UI in your web browser.")
def web(cluster_id: str, email: str, open_browser: bool) -> None:
    """Print the address of the cluster's web UI (DC/OS's UI at / on master_0).

    With auth on (oauth_enabled), also print a link that logs EMAIL in: it
    carries an ID token from the cluster's own issuer.
    """
    ui = iam.web_ui(Cluster(cluster_id).masters[0], email)
    click.echo(ui.address)
    if ui.login_link:
        click.echo(f"Log in as {email}: {ui.login_link}")
    if open_browser:
        click.launch(ui.login_link or ui.address)


COMMANDS = [web]
