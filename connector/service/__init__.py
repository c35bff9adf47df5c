"""Running unattended: the scheduled daemon, its health and how it tells the outside world.

Owns the daemon and its schedules (`daemon`), the Prometheus textfile (`metrics`), `status
--check` as a pure function of ledger facts (`monitoring`) and systemd's notify protocol
(`notify`), and the fleet: many client companies from one process (`fleet`, `fleet_run`,
`fleet_schedule`, `fleet_status`, `fleet_daemon`).

May import: everything below it (core, the adapters, billing, ledger, psop, texts, sync); never
`cli` or `console`.
"""
