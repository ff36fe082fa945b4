"""`registry blocking ...`: the over-blocking guard's lists (protected domains, shared address ranges, the
CDNs' and clouds' published ranges); the executors' blocklists served over DNS zone transfer
(`publish-zones`, `dns-config`)."""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from pathlib import Path

import click
from sqlalchemy import func, select

from registry.cli.common import emit, session_scope, settings
from registry.models import ProtectedDomain, SharedInfrastructure
from registry.services import protected, ranges
from registry.services.blocking import zones

log = logging.getLogger(__name__)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.group(help="Block requests: the over-blocking guard's lists; the blocklists over DNS zone transfer.")
def blocking() -> None:
    pass


@blocking.group(
    "protected", help="Protected domains (and their subdomains): never blocked whole without an override."
)
def protected_() -> None:
    pass


@protected_.command("list", help="List protected domains.")
@click.option("--json", "as_json", is_flag=True)
def list_protected(as_json: bool) -> None:
    with session_scope() as session:
        rows = list(session.scalars(select(ProtectedDomain).order_by(ProtectedDomain.domain)))
        data = [
            {
                "domain": p.domain,
                "category": p.category,
                "note": p.note,
                "source": p.source,
                "listed_on": p.listed_on.isoformat(),
            }
            for p in rows
        ]
        text = "\n".join(f"{p.domain:32} {p.category:15} {p.listed_on} {p.note or ''}" for p in rows)
        emit(data, as_json, text)


@protected_.command("add", help="Add or update one protected domain.")
@click.argument("domain")
@click.option("--category", required=True, help="platform, government, bank, payments, cdn, ...")
@click.option("--note", help="operator or reason")
@click.option("--source", default="registry blocking protected add", show_default=True)
@click.option("--date", "listed_on", callback=_date, help="date of the source (default today)")
def add_protected(domain: str, category: str, note: str | None, source: str, listed_on: date) -> None:
    try:
        row = {"domain": protected.normalise_domain(domain), "category": category, "note": note}
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    with session_scope() as session:
        counts = protected.load_protected(session, [row], source=source, listed_on=listed_on)
    click.echo(f"{row['domain']}: {'added' if counts['added'] else 'updated'}")


@protected_.command("remove", help="Remove a protected domain.")
@click.argument("domain")
def remove_protected(domain: str) -> None:
    with session_scope() as session:
        removed = protected.remove_protected(session, domain)
    if not removed:
        raise click.ClickException(f"{domain} is not in the list")
    click.echo(f"{domain}: removed")


@protected_.command(
    "load", help="Add or update protected domains from a CSV (domain,category,operator[,source,listed_on])."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", "listed_on", callback=_date, required=True, help="date of the list (YYYY-MM-DD)")
@click.option("--source", help="where the list comes from (default: the file name)")
def load_protected(file: Path, listed_on: date, source: str | None) -> None:
    try:
        rows = protected.read_protected_csv(file)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    with session_scope() as session:
        counts = protected.load_protected(session, rows, source=source or file.name, listed_on=listed_on)
    click.echo(f"{counts['added']} added, {counts['updated']} updated")


@blocking.group("shared-infra", help="Address ranges serving many unrelated sites (CDNs, shared hosts).")
def shared_infra() -> None:
    pass


@shared_infra.command("list", help="List shared-infrastructure ranges (the local ones unless --provider).")
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--provider", default=protected.LOCAL, show_default=True,
    help="whose list: local (CSV and CLI), a provider of `registry blocking ranges`, or all",
)  # fmt: skip
def list_shared(as_json: bool, provider: str) -> None:
    with session_scope() as session:
        query = select(SharedInfrastructure).order_by(
            SharedInfrastructure.cidr, SharedInfrastructure.provider
        )
        if provider != "all":
            query = query.where(SharedInfrastructure.provider == provider)
        rows = list(session.scalars(query))
        data = [
            {
                "provider": s.provider,
                "cidr": s.cidr,
                "operator": s.operator,
                "kind": s.kind,
                "source": s.source,
                "listed_on": s.listed_on.isoformat(),
            }
            for s in rows
        ]
        text = "\n".join(f"{s.cidr:24} {s.kind:14} {s.listed_on} {s.operator}" for s in rows)
        emit(data, as_json, text)


@shared_infra.command(
    "load", help="Add or update local ranges from a CSV (cidr,operator,kind[,source,listed_on])."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", "listed_on", callback=_date, required=True, help="date of the list (YYYY-MM-DD)")
@click.option("--source", help="where the list comes from (default: the file name)")
def load_shared(file: Path, listed_on: date, source: str | None) -> None:
    try:
        rows = protected.read_shared_csv(file)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    with session_scope() as session:
        counts = protected.load_shared(session, rows, source=source or file.name, listed_on=listed_on)
    click.echo(f"{counts['added']} added, {counts['updated']} updated")


@blocking.group(
    "ranges",
    help="CDN and cloud address ranges as their providers publish them (registry/data/ranges/). "
    "Providers: " + ", ".join(ranges.PROVIDERS) + ".",
)
def ranges_() -> None:
    pass


def _published(parsed: ranges.Parsed, given: date | None, provider: ranges.Provider) -> date:
    if given is not None:
        return given
    if parsed.published is None:
        raise click.UsageError(
            f"the {provider.name} file states no date: give the date it was published, --date"
        )
    return parsed.published


def _load_provider(
    provider: ranges.Provider, text: str, *, listed_on: date | None, source: str | None, label: str
) -> None:
    try:
        parsed = provider.parse(text)
    except ranges.RangeFileError as exc:
        raise click.ClickException(f"{label}: {exc}") from None
    if not parsed.rows:
        raise click.ClickException(
            f"{label}: no ranges in the file; the {provider.name} list is left as it is"
        )
    published = _published(parsed, listed_on, provider)
    click.echo(f"{provider.name}: {len(parsed.rows)} ranges published {published.isoformat()}", err=True)
    with session_scope() as session:
        counts = protected.replace_provider(
            session,
            provider.name,
            parsed.rows,
            source=source or ranges.source_text(provider, published),
            listed_on=published,
            progress=lambda done: click.echo(f"  {done}/{len(parsed.rows)} written", err=True),
        )
    click.echo(f"{provider.name}: {counts['removed']} replaced by {counts['added']}")


@ranges_.command(
    "load",
    help="Replace one provider's ranges by those of FILE, in the provider's published format "
    "(ip-ranges.json, goog.json, cloud.json, public-ip-list, Akamai's CIDR text, ServiceTags_Public_*.json). "
    "All or nothing: on any error nothing changes.",
)
@click.argument("provider", type=click.Choice(sorted(ranges.PROVIDERS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--date", "listed_on", callback=lambda c, p, v: _date(c, p, v) if v else None,
    help="date the provider published it (YYYY-MM-DD); required when the file states none",
)  # fmt: skip
@click.option("--source", help="where it comes from (default: the provider's URL and the date)")
def load_ranges(provider: str, file: Path, listed_on: date | None, source: str | None) -> None:
    _load_provider(
        ranges.PROVIDERS[provider], file.read_text(encoding="utf-8"), listed_on=listed_on, source=source,
        label=str(file),
    )  # fmt: skip


@ranges_.command(
    "load-shipped", help="Load every file of registry/data/ranges/ (sources.json), replacing each provider's."
)
def load_shipped() -> None:
    for entry in ranges.shipped():
        _load_provider(
            entry.provider, entry.file.read_text(encoding="utf-8"), listed_on=entry.published, source=None,
            label=entry.file.name,
        )  # fmt: skip


@ranges_.command(
    "trim",
    help="Write FILE back in its published format with only what the guard keeps (CloudFront of "
    "ip-ranges.json; Front Door and aggregated AzureCloud of ServiceTags): how the shipped copies are made.",
)
@click.argument("provider", type=click.Choice(sorted(ranges.PROVIDERS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def trim_ranges(provider: str, file: Path) -> None:
    try:
        click.echo(ranges.PROVIDERS[provider].trim(file.read_text(encoding="utf-8")), nl=False)
    except ranges.RangeFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from None


@ranges_.command("list", help="Count the ranges per provider, with their date and source.")
@click.option("--json", "as_json", is_flag=True)
def list_ranges(as_json: bool) -> None:
    with session_scope() as session:
        columns = (SharedInfrastructure.provider, SharedInfrastructure.listed_on, SharedInfrastructure.source)
        rows = session.execute(
            select(*columns, func.count()).group_by(*columns).order_by(SharedInfrastructure.provider)
        ).all()
        data = [{"provider": p, "listed_on": d.isoformat(), "source": s, "ranges": n} for p, d, s, n in rows]
        text = "\n".join(f"{p:16} {n:6} {d} {s}" for p, d, s, n in rows)
        emit(data, as_json, text)


def _publish_once(zone_dir: Path, knot: zones.Knot | None, as_json: bool) -> bool:
    with session_scope() as session:
        done = zones.publish(session, zone_dir, knot)
    if as_json:
        click.echo(json.dumps([p.__dict__ for p in done]))
    # What changed, and what failed, are log lines (JSON in production: with --every this is a daemon).
    for p in done:
        fields = {"zone": p.zone, "serial": p.serial}
        if p.error:
            log.error("%s: serial %s: %s", p.zone, p.serial, p.error, extra=fields)
        elif p.written or p.reloaded:
            loaded = " loaded by knotd" if p.reloaded else ""
            log.info("%s: serial %s%s", p.zone, p.serial, loaded, extra={**fields, "reloaded": p.reloaded})
    return not any(p.error for p in done)


@blocking.command(
    "publish-zones",
    help="Write every executor's RPZ zone (SOA serial = its blocklist's serial) into the zone folder and "
    "ask knotd to load each zone it serves at another serial; knotd then sends NOTIFY to the executor's "
    "resolvers, which fetch the change by IXFR. Run it after every change (--every N keeps doing it).",
)
@click.option(
    "--zone-dir", type=click.Path(file_okay=False, path_type=Path), help="default REGISTRY_RPZ_ZONE_DIR"
)
@click.option("--knot-socket", help="knotd's control socket (default REGISTRY_RPZ_KNOT_SOCKET)")
@click.option("--no-reload", is_flag=True, help="write the files only (knotd not told)")
@click.option("--every", type=click.IntRange(min=1), help="repeat every N seconds until stopped")
@click.option("--json", "as_json", is_flag=True)
def publish_zones(
    zone_dir: Path | None, knot_socket: str | None, no_reload: bool, every: int | None, as_json: bool
) -> None:
    config = settings()
    folder = zone_dir or config.rpz_zone_dir
    if folder is None:
        raise click.UsageError("no zone folder: give --zone-dir or set REGISTRY_RPZ_ZONE_DIR")
    knot = None if no_reload else zones.Knot(knot_socket or config.rpz_knot_socket)
    while True:
        ok = _publish_once(folder, knot, as_json)
        if every is None:
            break
        time.sleep(every)
    if not ok:
        raise SystemExit(1)


@blocking.command(
    "dns-config",
    help="Print the part of knot.conf that serves the executors' RPZ zones (deploy/knot.conf includes it): "
    "per executor a zone, an ACL for transfers signed with its TSIG key, NOTIFY to its resolvers "
    "(REGISTRY_RPZ_SERVERS_FILE). Keys missing from the keys file (REGISTRY_RPZ_TSIG_KEYS_FILE) are "
    "added to it; no secret is printed.",
)
@click.option(
    "--zone-dir", type=click.Path(file_okay=False, path_type=Path), help="default REGISTRY_RPZ_ZONE_DIR"
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="default REGISTRY_RPZ_TSIG_KEYS_FILE",
)
@click.option(
    "--servers",
    "servers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="default REGISTRY_RPZ_SERVERS_FILE",
)
def dns_config(zone_dir: Path | None, keys_file: Path | None, servers_file: Path | None) -> None:
    config = settings()
    folder = zone_dir or config.rpz_zone_dir
    if folder is None:
        raise click.UsageError("no zone folder: give --zone-dir or set REGISTRY_RPZ_ZONE_DIR")
    keys_path = (keys_file or config.rpz_tsig_keys_file).resolve()
    with session_scope() as session:
        codes = [a.code for a in zones.executors(session)]
    try:
        servers = zones.read_servers(servers_file or config.rpz_servers_file)
        text = zones.knot_config(codes, servers, folder.resolve(), keys_path)
        keys = zones.read_keys(keys_path)
    except zones.ZoneError as exc:
        raise click.ClickException(str(exc)) from None
    added = keys.ensure(zones.key_name(code) for code in codes)
    if added or not keys_path.exists():
        zones.write_keys(keys_path, keys)
        click.echo(f"{keys_path}: {len(added)} key(s) added: {', '.join(added)}", err=True)
    click.echo(text, nl=False)
