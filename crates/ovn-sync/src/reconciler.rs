//! The reconciler: keeps the OVN Northbound database equal to what the store's resources map to.
//!
//! ```text
//! store ──change feed──▶ Mirror (specs by id) ──desired_state──▶ Desired ─┐
//! Northbound ──monitor──▶ Cache ─────────────────────────────────────────┴▶ plan ─▶ transact
//! ```
//!
//! * **Start**: connect (retrying while the database is away), download the managed tables
//!   completely (the monitor's initial reply), load every resource from the store, and compare
//!   the two in full. Nothing is written before the download has completed.
//! * **Changes**: woken by the store's change feed, it reads the changed resources again and
//!   writes what differs in one Northbound transaction. Each changed row carries a `wait` on the
//!   revision it was planned from, so a transaction planned from a stale view fails instead of
//!   overwriting something newer; it is then planned again from the fresher cache.
//! * **Batches**: a cycle whose changes touch only instance ports (and networks and subnets no
//!   port is on) plans just their rows and their security groups' membership (see
//!   [`crate::mirror::Touched`]).
//! * **Coalescing**: a wake-up of the feed that finds the reconciler busy (its last cycle started
//!   less than [`CYCLE_GAP`] ago, or, if it had few changes, less than [`CYCLE_SHARE`] times its
//!   duration) waits for the rest of it, so a burst of changes is one cycle and a stream of small
//!   cycles takes at most about half a core.
//! * **Drift**: when the Northbound database changes under us, and after the store has been
//!   reloaded (on a timer, beside the cycles), a *check* compares the whole desired state with the
//!   whole cache on a blocking thread, from a copy of the mirror and a snapshot of the cache
//!   taken between cycles, so it never delays a batch. A check that finds nothing writes
//!   nothing; one that finds something has the next cycle plan everything against the cache as it
//!   is then (the check's own plan may be stale by then), so a row changed or deleted by hand is
//!   repaired within a check and a cycle.
//! * **Faults**: while the database is away the API keeps accepting writes; the changes wait in
//!   the mirror and are written once the client has reconnected and resynced its cache.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use neutrino_ovn::{
    Change, Desired, GatewayChassis, Plan, Scope, desired_state, monitor_request, plan,
};
use neutrino_ovsdb::{
    Atom, Cache, Client, ClientConfig, MonitorHandle, Mutation, Mutator, Operation, Shape,
    TableNeed,
};
use neutrino_store::{Store, StoreError, outbox};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use crate::config::OvnConfig;
use crate::lease::{Holding, claim_fence, fence_wait};
use crate::mirror::{Mirror, Specs, Touched};

/// The name the back end's position in the change feed is kept under.
pub const CONSUMER: &str = "ovn";

/// What the reconciler reports about itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The Northbound server in use, when connected.
    pub connected: Option<String>,
    /// Whether the initial download and the first full compare have completed.
    pub ready: bool,
    /// The change feed position whose changes are in the Northbound database.
    pub position: i64,
    /// Ports the back end knows.
    pub ports: usize,
    /// Northbound transactions written.
    pub transactions: u64,
    /// When the store was last compared in full with the Northbound database (ms since epoch),
    /// and how many rows that compare changed.
    pub last_full_compare_ms: Option<i64>,
    pub last_full_compare_changes: usize,
    /// How long the last cycle took, and the last full compare (reload included), ms.
    pub last_cycle_ms: f64,
    pub last_full_compare_took_ms: f64,
    /// Cycles that planned only the rows of a batch of instance-port changes (the rest planned
    /// the whole desired state).
    #[serde(default)]
    pub port_cycles: u64,
    /// The last failure, until a cycle succeeds.
    pub last_error: Option<String>,
}

/// A running back end: its status, for whoever wants to watch. Its work (the reconciler and the
/// Southbound task) runs while this replica holds the lease (see [`crate::lease`]). It stops when
/// the last clone is dropped, or releases the lease first with [`OvnBackend::stop`].
#[derive(Clone)]
pub struct OvnBackend {
    status: watch::Receiver<SyncStatus>,
    holding: watch::Receiver<Holding>,
    stop: Arc<watch::Sender<bool>>,
    _supervisor: Arc<AbortOnDrop>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl OvnBackend {
    /// Starts the lease's supervisor on the current tokio runtime; the back end's work starts
    /// when this replica holds the lease.
    pub fn start(store: Store, config: OvnConfig) -> OvnBackend {
        let (status_tx, status) = watch::channel(SyncStatus::default());
        let (holding_tx, holding) = watch::channel(Holding {
            holder: crate::lease::holder_name(),
            token: None,
            answered: false,
        });
        let (stop, stopped) = watch::channel(false);
        let supervisor = tokio::spawn(async move {
            let work = |token| {
                // A fresh report per term: a standby's last report is not this one's.
                status_tx.send_replace(SyncStatus::default());
                start_work(store.clone(), config.clone(), token, status_tx.clone())
            };
            crate::lease::supervise(store.clone(), &config, holding_tx, stopped, work).await;
            status_tx.send_replace(SyncStatus::default());
        });
        OvnBackend {
            status,
            holding,
            stop: Arc::new(stop),
            _supervisor: Arc::new(AbortOnDrop(supervisor)),
        }
    }

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// This replica's name in the lease, and the token it holds it under, if it does.
    pub fn holding(&self) -> Holding {
        self.holding.borrow().clone()
    }

    /// Stops the work and releases the lease, so that a standby takes over at once (graceful
    /// shutdown); gives up waiting after `timeout` (the lease then expires by itself).
    pub async fn stop(&self, timeout: Duration) {
        self.stop.send_replace(true);
        let mut holding = self.holding.clone();
        let released = async {
            // The supervisor drops its sender when it has finished.
            while holding.changed().await.is_ok() {}
        };
        let _ = tokio::time::timeout(timeout, released).await;
    }

    /// Waits until the status satisfies `predicate` (for tests and tools).
    pub async fn wait_for(&self, predicate: impl FnMut(&SyncStatus) -> bool) -> SyncStatus {
        let mut rx = self.status.clone();
        match rx.wait_for(predicate).await {
            Ok(s) => s.clone(),
            Err(_) => self.status(),
        }
    }
}

/// The work of the lease's holder: the Southbound task (when a Southbound database is
/// configured) and the reconciler, writing under `token`. Stopped when dropped.
fn start_work(
    store: Store,
    config: OvnConfig,
    token: i64,
    status: watch::Sender<SyncStatus>,
) -> Vec<AbortOnDrop> {
    let mut tasks = Vec::new();
    let (gateways, rebound) = if config.sb_remotes().is_empty() {
        // No Southbound: no gateway chassis, ever (the sender lives in the task below), and
        // no port bound by it.
        let (none, gateways) = watch::channel(Some(Vec::new()));
        tasks.push(AbortOnDrop(tokio::spawn(async move {
            none.closed().await;
        })));
        (gateways, mpsc::unbounded_channel().1)
    } else {
        let southbound = crate::southbound::start(store.clone(), &config);
        tasks.push(AbortOnDrop(southbound.task));
        (southbound.gateways, southbound.rebound)
    };
    tasks.push(AbortOnDrop(tokio::spawn(run(
        store, config, token, gateways, rebound, status,
    ))));
    tasks
}

/// The Northbound client settings of `config`, with the tables the mapping writes as needs.
pub fn nb_client_config(config: &OvnConfig) -> ClientConfig {
    let mut client = ClientConfig::new(config.nb_remotes(), "OVN_Northbound");
    client.probe_interval = config.probe_interval();
    client.needs = neutrino_ovn::row::TABLES
        .iter()
        .map(|t| {
            neutrino_ovn::row::monitored_columns(t.name)
                .iter()
                .fold(TableNeed::new(t.name), |need, column| {
                    need.column(*column, Shape::Any)
                })
        })
        .collect();
    client
}

/// Connects to the Northbound database and downloads the managed tables, retrying until both
/// succeed (a schema that lacks what the mapping writes is reported and retried too: the
/// operator may be upgrading OVN).
pub async fn connect(
    config: &OvnConfig,
    mut report: impl FnMut(String),
) -> (Client, MonitorHandle) {
    let mut pause = Duration::from_millis(200);
    loop {
        let attempt = async {
            let client = Client::connect(nb_client_config(config)).await?;
            let monitor = client.monitor(monitor_request()).await?;
            Ok::<_, neutrino_ovsdb::Error>((client, monitor))
        };
        match attempt.await {
            Ok(pair) => return pair,
            Err(e) => {
                report(format!("Northbound database: {e}"));
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// What a compare of the store with the Northbound database would change, without changing it:
/// `neutrino ovn sync --dry-run`, and the plan of every cycle.
pub fn compare(
    config: &OvnConfig,
    mirror: &Mirror,
    gateway_chassis: &[GatewayChassis],
    cache: &Cache,
) -> Plan {
    compare_specs(config, &mirror.specs(gateway_chassis), cache)
}

/// [`compare`] of specs taken from a mirror (what a check off the cycle's path compares).
fn compare_specs(config: &OvnConfig, specs: &Specs, cache: &Cache) -> Plan {
    let desired: Desired = desired_state(&config.mapping(), &specs.resources());
    plan(&desired, cache, &Scope::Full)
}

/// One full compare outside the server (`neutrino ovn sync`): loads the store, downloads the
/// Northbound database (and the gateway chassis from the Southbound one, if configured), and
/// returns the plan — after running it, unless `dry_run`. Fails rather than waits when a database
/// cannot be reached.
pub async fn sync_once(store: &Store, config: &OvnConfig, dry_run: bool) -> Result<Plan, String> {
    let gateways = if config.sb_remotes().is_empty() {
        Vec::new()
    } else {
        crate::southbound::read_gateway_chassis(config)
            .await
            .map_err(|e| format!("Southbound database: {e}"))?
    };
    let client = Client::connect(nb_client_config(config))
        .await
        .map_err(|e| format!("Northbound database: {e}"))?;
    let monitor = client
        .monitor(monitor_request())
        .await
        .map_err(|e| format!("Northbound database: {e}"))?;
    let (mirror, _) = load(store).await.map_err(|e| e.to_string())?;
    let plan = compare(config, &mirror, &gateways, &monitor.snapshot());
    if !dry_run && !plan.is_empty() {
        client
            .transact(&plan.operations)
            .await
            .map_err(|e| format!("Northbound transaction: {e}"))?;
    }
    Ok(plan)
}

/// Reads every mapped resource and the feed position they are current with.
pub async fn load(store: &Store) -> Result<(Mirror, i64), StoreError> {
    let position = store.feed_position().await?;
    let mirror = store.read(Mirror::load).await?;
    Ok((mirror, position))
}

/// The least time between the starts of two cycles woken by the store: a busy reconciler lets
/// the changes of this long go into one cycle and one Northbound transaction (each transaction
/// has fixed costs here, in ovsdb-server and in every client that monitors the tables), an idle
/// one starts at once.
const CYCLE_GAP: Duration = Duration::from_millis(10);

/// ... and, after a cycle of fewer than [`FEW_CHANGES`] changes, at least this many times as
/// long as that cycle took: a cycle has fixed costs (on a machine short of CPU, many small cycles
/// would take the API's share), so the slower the small cycles, the more the next one gathers. A
/// cycle of many changes spent its time on them: a backlog is not held back.
///
/// Measured at 10,000 ports on the 2-core machine, quiet (docs/benchmarks.md, "Set diffs in
/// place"): with 1, 500 ports/s reach Northbound with a median lag of 6.9 ms (p99 14–20 ms) and
/// 8 clients create 2,710/s with the back end on; with 3, 14.5–14.8 ms (p99 ~300 ms) and
/// 2,730–2,980/s. 3 bought create rate only while each echo of a transaction copied the member
/// sets of 10,000 ports (now diffed in place).
const CYCLE_SHARE: u32 = 1;
const FEW_CHANGES: usize = 100;

/// The report in the store is written at most this often while only its feed position and
/// transaction count move (it is one more durable write beside the API's).
const REPORT_EVERY: Duration = Duration::from_millis(500);

/// A full compare planned in the background (see `Reconciler::start_check`).
type CheckTask = tokio::task::JoinHandle<Plan>;

async fn run(
    store: Store,
    config: OvnConfig,
    token: i64,
    mut gateways: watch::Receiver<Option<Vec<GatewayChassis>>>,
    mut rebound: mpsc::UnboundedReceiver<String>,
    status: watch::Sender<SyncStatus>,
) {
    let failed = |e: String| {
        tracing::warn!(error = %e, "OVN back end");
        status.send_modify(|s| s.last_error = Some(e));
    };
    let (client, monitor) = connect(&config, failed).await;
    // Fence off the previous holder before anything else is written (see `crate::lease`).
    let mut pause = Duration::from_millis(200);
    while let Err(e) = claim_fence(&client, token).await {
        failed(format!(
            "Northbound database: cannot write the lease's token: {e}"
        ));
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
    // Gateways are scheduled on the chassis the Southbound database lists: wait for its download,
    // or the first compare would take every gateway off its chassis.
    if gateways.wait_for(Option::is_some).await.is_err() {
        return;
    }
    let mut feed = store.subscribe();
    let mut cache_changes = monitor.subscribe();
    let mut reconciler = Reconciler {
        store,
        config,
        token,
        gateways: gateways.clone(),
        client,
        monitor,
        mirror: Mirror::default(),
        needs_full: true,
        plan_all: false,
        repair_due: false,
        check_wanted: false,
        loaded: None,
        full_since: None,
        reread: None,
        rebound: BTreeSet::new(),
        position: 0,
        status,
        seen_version: 0,
        reported: None,
        reported_lasting: None,
        report_pending: false,
        last_report: Instant::now(),
        touched: Touched::default(),
        planned_gateways: None,
    };
    // The first cycle loads and compares everything (`needs_full`); the periodic full compares
    // after it reload the store and plan in the background (see `Reconciler::start_check`).
    let mut next_full = Instant::now() + reconciler.config.full_compare_interval();
    let mut reload: Option<tokio::task::JoinHandle<Result<(Mirror, i64), StoreError>>> = None;
    let mut check: Option<CheckTask> = None;
    let mut pause = Duration::from_millis(50);
    // Agents are read from the Southbound database; without one, nobody listens for heartbeats.
    let asks_heartbeats = !reconciler.config.sb_remotes().is_empty();
    let mut heartbeat = tokio::time::interval(reconciler.config.heartbeat_interval());
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let last_cycle = Instant::now();
        let changes = match reconciler.cycle().await {
            Ok(read) => {
                pause = Duration::from_millis(50);
                read
            }
            Err(e) => {
                tracing::warn!(error = %e, "OVN back end: cycle failed; trying again");
                reconciler
                    .status
                    .send_modify(|s| s.last_error = Some(e.clone()));
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        let cycle_took = last_cycle.elapsed();
        if reconciler.check_wanted && check.is_none() {
            check = Some(reconciler.start_check());
        }
        // Sleep until the store changes, someone else changes the Northbound database, a full
        // compare is due or a background one has something to say. Our own transaction's echo
        // wakes nobody: planning again after it would only find nothing to do (and cost a whole
        // cycle). A heartbeat is asked for on its own timer, without a cycle.
        loop {
            // A full compare is due: reload the store beside the cycles.
            if reload.is_none() && Instant::now() >= next_full {
                next_full = Instant::now() + reconciler.config.full_compare_interval();
                reload = Some(reconciler.start_reload());
            }
            let until_full = if reload.is_none() {
                next_full.saturating_duration_since(Instant::now())
            } else {
                Duration::MAX
            };
            let until_report = if reconciler.report_pending {
                (reconciler.last_report + REPORT_EVERY).saturating_duration_since(Instant::now())
            } else {
                Duration::MAX
            };
            let foreign_change = async {
                while cache_changes.changed().await.is_ok() {
                    if *cache_changes.borrow_and_update() > reconciler.seen_version {
                        return;
                    }
                }
                std::future::pending::<()>().await;
            };
            tokio::select! {
                woken = feed.wait(until_full) => {
                    if !woken {
                        continue;
                    }
                    // Busy: let the changes of a few milliseconds join this cycle (and, after a
                    // slow cycle of few changes, of a while: its cost was not theirs).
                    let gap = if changes < FEW_CHANGES {
                        CYCLE_GAP.max(cycle_took * CYCLE_SHARE)
                    } else {
                        CYCLE_GAP
                    };
                    tokio::time::sleep_until((last_cycle + gap).into()).await;
                }
                _ = foreign_change => {
                    // Someone else wrote: a full compare in the background finds what.
                    reconciler.check_wanted = true;
                    if check.is_some() {
                        continue;
                    }
                    check = Some(reconciler.start_check());
                    continue;
                }
                // (A sender gone for good disables this branch rather than wake the loop forever.)
                Ok(()) = gateways.changed() => {}
                // Ports the Southbound task bound: read again (their feed has no entry for it).
                Some(port) = rebound.recv() => {
                    reconciler.rebound.insert(port);
                    while let Ok(port) = rebound.try_recv() {
                        reconciler.rebound.insert(port);
                    }
                }
                loaded = async { reload.as_mut().expect("guarded").await }, if reload.is_some() => {
                    reload = None;
                    match loaded {
                        // Swapped in by the next cycle, which then checks it.
                        Ok(Ok(loaded)) => reconciler.loaded = Some(loaded),
                        Ok(Err(e)) => {
                            reconciler.reload_failed();
                            tracing::warn!(error = %e, "OVN back end: cannot reload the store");
                            continue;
                        }
                        Err(e) => {
                            reconciler.reload_failed();
                            tracing::warn!(error = %e, "OVN back end: the store's reload stopped");
                            continue;
                        }
                    }
                }
                checked = async { check.as_mut().expect("guarded").await }, if check.is_some() => {
                    check = None;
                    let needs_cycle = match checked {
                        Ok(plan) => reconciler.checked(&plan),
                        // (A check that panicked: plan everything the old way.)
                        Err(_) => {
                            reconciler.plan_all = true;
                            reconciler.repair_due = true;
                            true
                        }
                    };
                    // A foreign change while the check ran: check again.
                    if reconciler.check_wanted && !needs_cycle {
                        check = Some(reconciler.start_check());
                    }
                    if !needs_cycle {
                        continue;
                    }
                }
                _ = tokio::time::sleep(until_report), if reconciler.report_pending => {
                    reconciler.report(true).await;
                    continue;
                }
                _ = heartbeat.tick(), if asks_heartbeats => {
                    reconciler.ask_heartbeat().await;
                    continue;
                }
            }
            break;
        }
    }
}

struct Reconciler {
    store: Store,
    config: OvnConfig,
    /// The lease's fencing token: every transaction fails unless it is still the current one.
    token: i64,
    gateways: watch::Receiver<Option<Vec<GatewayChassis>>>,
    client: Client,
    monitor: MonitorHandle,
    mirror: Mirror,
    /// Ports whose binding the Southbound task changed since the last cycle: read again.
    rebound: BTreeSet<String>,
    /// The mirror cannot be trusted (a read of the store failed halfway): the next cycle reloads
    /// it whole before planning, or the plan would delete what the mirror lost.
    needs_full: bool,
    /// A check found something to repair (or a cycle failed): the next cycle plans the whole
    /// desired state against the monitored copy as it is then.
    plan_all: bool,
    /// That plan is the repair of what a check found (its cycle reports the full compare).
    repair_due: bool,
    /// The Northbound database changed under us, or the mirror was reloaded: a full compare in
    /// the background should look for differences after this cycle.
    check_wanted: bool,
    /// The store reloaded in the background, and its feed position: the next cycle swaps it in.
    loaded: Option<(Mirror, i64)>,
    /// When the periodic full compare under way (reload, check, repair) started.
    full_since: Option<Instant>,
    /// While a reload runs: the ports read again for the Southbound task since it started,
    /// which its older read may not show (their changes have no feed entry to read them by).
    reread: Option<BTreeSet<String>>,
    position: i64,
    status: watch::Sender<SyncStatus>,
    /// The monitor's version this reconciler has accounted for: the one its last plan read, or
    /// the one that brought back its own last transaction.
    seen_version: u64,
    /// The report last written to the store, without its timings (not written again while it
    /// stays the same).
    reported: Option<String>,
    /// ... and without its position and transaction count either.
    reported_lasting: Option<String>,
    /// The report changed since it was last written (it waits for [`REPORT_EVERY`]).
    report_pending: bool,
    last_report: Instant,
    /// What the changes read since the last successful cycle touched.
    touched: Touched,
    /// The gateway chassis the last successful plan was made with.
    planned_gateways: Option<Vec<GatewayChassis>>,
}

impl Reconciler {
    /// One pass: take in the store's changes (after reloading everything, at start or when the
    /// mirror cannot be trusted; or swapping in a reload made in the background), then write
    /// what differs.
    async fn cycle(&mut self) -> Result<usize, String> {
        let started = Instant::now();
        let reload = self.needs_full;
        if reload {
            let (mirror, position) = load(&self.store).await.map_err(|e| e.to_string())?;
            self.mirror = mirror;
            self.position = position;
            self.needs_full = false;
        } else if let Some((mut mirror, position)) = self.loaded.take() {
            // Read a while ago: the changes since its position are read again below (and the
            // ports rebound since it started), and a check compares the result with the
            // database after this cycle.
            mirror.take_touched();
            self.mirror = mirror;
            self.position = position;
            self.rebound.extend(self.reread.take().unwrap_or_default());
            self.check_wanted = true;
        }
        let changes = self.take_changes().await.map_err(|e| e.to_string())?;
        let read = started.elapsed();
        let gateways = self.gateways.borrow().clone().unwrap_or_default();
        // Only instance ports changed and the gateways are the same: their rows are all a plan
        // needs to see. Anything else (and a retry after a failure) plans the whole desired
        // state. A write by someone else is looked for by a check in the background.
        self.touched.merge(self.mirror.take_touched());
        let repairing = std::mem::take(&mut self.repair_due) && !reload;
        let whole = reload
            || self.plan_all
            || self.touched.everything
            || self.planned_gateways.as_ref() != Some(&gateways);
        if self.monitor.version() != self.seen_version {
            self.check_wanted = true;
        }
        self.seen_version = self.monitor.version();
        let cache = self.monitor.snapshot();
        let mut plan = if whole {
            compare(&self.config, &self.mirror, &gateways, &cache)
        } else {
            let (desired, scope) = self.mirror.port_rows(&self.config.mapping(), &self.touched);
            plan(&desired, &*cache, &Scope::Rows(scope))
        };
        // Let go of the snapshot before writing: while it is held, the echo of our transaction
        // makes the monitor copy every table it changes (copy-on-write) — at 10,000 ports, most
        // of a cycle.
        drop(cache);
        let planned = started.elapsed();
        if !plan.is_empty() {
            // Planned again from the whole state if it fails.
            self.plan_all = true;
            self.write(&mut plan).await?;
        }
        // Written: what the changes touched is in the database (a failure above keeps it for
        // the retry, which plans again from the cache as it is then).
        self.touched = Touched::default();
        self.planned_gateways = Some(gateways);
        self.plan_all = false;
        if whole {
            // A plan of everything is a full compare of the mirror: no check needed.
            self.check_wanted = false;
        }
        tracing::debug!(
            whole,
            read_ms = read.as_secs_f64() * 1e3,
            plan_ms = (planned - read).as_secs_f64() * 1e3,
            write_ms = (started.elapsed() - planned).as_secs_f64() * 1e3,
            operations = plan.operations.len(),
            "OVN back end: cycle"
        );
        let took_ms = started.elapsed().as_secs_f64() * 1e3;
        let full_took_ms = if reload {
            Some(took_ms)
        } else if repairing {
            self.full_since
                .take()
                .map(|since| since.elapsed().as_secs_f64() * 1e3)
        } else {
            None
        };
        let first = !self.status.borrow().ready;
        let changed = count_changes(&plan);
        let position = self.position;
        let ports = self.mirror.port_count();
        let remote = self.client.current_remote();
        self.status.send_modify(|s| {
            s.connected = remote;
            s.ready = true;
            s.position = position;
            s.ports = ports;
            s.last_error = None;
            s.last_cycle_ms = took_ms;
            s.port_cycles += u64::from(!whole);
            if let Some(full_took_ms) = full_took_ms {
                s.last_full_compare_ms = Some(neutrino_store::unix_time_ms());
                s.last_full_compare_changes = changed;
                s.last_full_compare_took_ms = full_took_ms;
            }
        });
        if first {
            tracing::info!(
                ports,
                changed,
                took_ms,
                "OVN back end: ready, the first full compare is done"
            );
        }
        // Written at once when it says something new besides the position and the counters.
        self.report(first || reload || repairing).await;
        Ok(changes)
    }

    /// Starts reading every resource from the store beside the cycles: the first step of a
    /// periodic full compare.
    fn start_reload(&mut self) -> tokio::task::JoinHandle<Result<(Mirror, i64), StoreError>> {
        self.full_since = Some(Instant::now());
        self.reread = Some(BTreeSet::new());
        let store = self.store.clone();
        tokio::spawn(async move { load(&store).await })
    }

    /// A reload that failed: the periodic compare waits for its next turn.
    fn reload_failed(&mut self) {
        self.full_since = None;
        self.reread = None;
    }

    /// Starts a full compare of the mirror with the monitored copy as they are now (after a
    /// cycle: nothing of ours is on its way), off the cycles' path: the cycles go on while it
    /// plans. What it finds is not written from its plan (the cycles may have changed the rows
    /// since): [`Reconciler::checked`] has the next cycle plan everything again.
    fn start_check(&mut self) -> CheckTask {
        self.check_wanted = false;
        let gateways = self.gateways.borrow().clone().unwrap_or_default();
        let specs = self.mirror.specs(&gateways);
        let cache = self.monitor.snapshot();
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || compare_specs(&config, &specs, &cache))
    }

    /// The outcome of a check: true if it found differences, which the next cycle repairs by a
    /// plan of the whole state. A clean periodic compare is reported here.
    fn checked(&mut self, plan: &Plan) -> bool {
        if !plan.is_empty() {
            tracing::info!(
                changes = count_changes(plan),
                "OVN back end: the full compare found differences; planning everything"
            );
            for change in &plan.changes {
                tracing::debug!(%change, "OVN back end: found");
            }
            self.plan_all = true;
            self.repair_due = true;
            return true;
        }
        if let Some(since) = self.full_since.take() {
            let took_ms = since.elapsed().as_secs_f64() * 1e3;
            self.status.send_modify(|s| {
                s.last_full_compare_ms = Some(neutrino_store::unix_time_ms());
                s.last_full_compare_changes = 0;
                s.last_full_compare_took_ms = took_ms;
            });
            self.report_pending = true;
        }
        false
    }

    /// Writes the report into the store — at once when `now` or when more than its feed
    /// position and transaction count changed, else when it last did so [`REPORT_EVERY`] ago
    /// (the run loop writes what is left pending then). A report that changed only its timings
    /// is not written again.
    async fn report(&mut self, now: bool) {
        let position = self.position;
        let key = |counters: bool| {
            let mut s = self.status.borrow().clone();
            (s.last_cycle_ms, s.last_full_compare_took_ms, s.port_cycles) = (0.0, 0.0, 0);
            if !counters {
                (s.position, s.transactions) = (0, 0);
            }
            serde_json::to_string(&s).unwrap_or_default()
        };
        let (key, lasting) = (key(true), key(false));
        if self.reported.as_ref() == Some(&key) {
            self.report_pending = false;
            return;
        }
        let now = now || self.reported_lasting.as_ref() != Some(&lasting);
        if !now && self.last_report.elapsed() < REPORT_EVERY {
            self.report_pending = true;
            return;
        }
        let report = serde_json::to_string(&*self.status.borrow()).unwrap_or_default();
        let written = self
            .store
            .write(move |tx| outbox::set_consumer_status(tx, CONSUMER, position, &report))
            .await;
        self.last_report = Instant::now();
        match written {
            Ok(()) => {
                self.reported = Some(key);
                self.reported_lasting = Some(lasting);
                self.report_pending = false;
            }
            Err(e) => {
                let e: StoreError = e;
                tracing::warn!(error = %e, "OVN back end: cannot write the report");
                self.report_pending = true;
            }
        }
    }

    /// Reads again the ports the Southbound task bound, and every resource the feed names after
    /// our position; returns how many changes of the feed it read.
    async fn take_changes(&mut self) -> Result<usize, StoreError> {
        let rebound = std::mem::take(&mut self.rebound);
        if let Some(reread) = &mut self.reread {
            reread.extend(rebound.iter().cloned());
        }
        let rebound: Vec<(String, String)> = rebound
            .into_iter()
            .map(|id| ("port".to_owned(), id))
            .collect();
        if !rebound.is_empty() {
            self.refresh(rebound).await?;
        }
        let limit = i64::try_from(self.config.batch_size).unwrap_or(i64::MAX);
        let mut read = 0;
        loop {
            let changes = self.store.changes(self.position, limit).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                return Ok(read);
            };
            read += changes.len();
            let whole_page = changes.len() as i64 == limit;
            self.refresh(changes.into_iter().map(|c| (c.kind, c.id)).collect())
                .await?;
            self.position = last;
            if !whole_page {
                return Ok(read);
            }
        }
    }

    /// Reads these resources `(kind, id)` again into the mirror, in one read of the store.
    async fn refresh(&mut self, resources: Vec<(String, String)>) -> Result<(), StoreError> {
        let mut mirror = std::mem::take(&mut self.mirror);
        let refreshed = self
            .store
            .read(move |tx| {
                for (kind, id) in &resources {
                    mirror.refresh(tx, kind, id)?;
                }
                Ok::<_, StoreError>(mirror)
            })
            .await;
        match refreshed {
            Ok(mirror) => {
                self.mirror = mirror;
                Ok(())
            }
            // The mirror went into the failed read: the next cycle starts from a full load.
            Err(e) => {
                self.needs_full = true;
                Err(e)
            }
        }
    }

    /// Asks every chassis for a heartbeat: raises `NB_Global.nb_cfg`, which northd passes to the
    /// Southbound database and each `ovn-controller` answers in its `Chassis_Private.nb_cfg`
    /// (see `crate::agents`). A failure is only logged: the next tick asks again.
    async fn ask_heartbeat(&self) {
        let raise = Operation::mutate(
            "NB_Global",
            Vec::new(),
            vec![Mutation::new("nb_cfg", Mutator::Add, Atom::Integer(1))],
        );
        if let Err(e) = self.client.transact(&[fence_wait(self.token), raise]).await {
            tracing::debug!(error = %e, "OVN back end: cannot ask the chassis for a heartbeat");
        }
    }

    /// Runs the plan as one transaction, fenced by the lease's token, and waits (briefly) for the
    /// cache to show it, so the next plan starts from what was written.
    async fn write(&mut self, plan: &mut Plan) -> Result<(), String> {
        let before = self.monitor.version();
        plan.operations.insert(0, fence_wait(self.token));
        self.client
            .transact(&plan.operations)
            .await
            .map_err(|e| format!("Northbound transaction: {e}"))?;
        self.status.send_modify(|s| s.transactions += 1);
        for change in &plan.changes {
            tracing::debug!(%change, "OVN");
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let mut rx = self.monitor.subscribe();
            while *rx.borrow_and_update() == before {
                if rx.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        // A change someone else made between our plan and our transaction's echo goes unseen
        // until the next full compare; the window is one transaction long.
        self.seen_version = self.monitor.version();
        Ok(())
    }
}

/// The rows a plan creates, changes or deletes.
fn count_changes(plan: &Plan) -> usize {
    plan.changes
        .iter()
        .filter(|c| {
            matches!(
                c,
                Change::Insert(_) | Change::Update(..) | Change::Delete(_)
            )
        })
        .count()
}
