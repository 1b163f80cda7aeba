//! A real ContextForge gateway on loopback.

use std::fmt;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::error::{HarnessError, Result, io_err};
use crate::paths::harness_dir;
use crate::process::{Launch, Supervised, free_port, http_status, read_tail};
use crate::python::{Python, Venv, run};

/// The ContextForge release the harness installs (`mcp-contextforge-gateway` on PyPI).
pub const GATEWAY_VERSION: &str = "1.1.0";

/// E-mail of the platform administrator the gateway bootstraps.
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// How to start a gateway.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GatewayOptions {
    /// Extra environment for the gateway, overriding the harness defaults (e.g. `("RATE_LIMITING_ENABLED",
    /// "true")` to exercise 429s, or `("USE_STATEFUL_SESSIONS", "true")`).
    pub extra_env: Vec<(String, String)>,
    /// How long to wait for `/health`.
    pub start_timeout: Duration,
    /// Serve HTTPS with this certificate chain and key (PEM files), as the seed project's gateway did on 4444.
    pub tls: Option<GatewayTls>,
}

/// The PEM files of an HTTPS gateway (uvicorn's `--ssl-certfile` and `--ssl-keyfile`).
#[derive(Debug, Clone)]
pub struct GatewayTls {
    /// The server certificate (chain), PEM.
    pub cert_file: PathBuf,
    /// Its private key, PEM.
    pub key_file: PathBuf,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            extra_env: Vec::new(),
            start_timeout: Duration::from_secs(180),
            tls: None,
        }
    }
}

impl GatewayOptions {
    /// Adds (or overrides) one gateway setting.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_env.push((key.into(), value.into()));
        self
    }

    /// Serves HTTPS with `cert_file` and `key_file` (PEM); the URL is then `https://127.0.0.1:<port>`.
    pub fn tls(mut self, cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        self.tls = Some(GatewayTls {
            cert_file: cert_file.into(),
            key_file: key_file.into(),
        });
        self
    }
}

/// Starts `mcpgateway` under the supervisor and waits until it answers.
#[allow(clippy::too_many_arguments)]
fn launch(
    python: &Python,
    program: &Path,
    url: &str,
    port: u16,
    args: Vec<String>,
    env: &[(String, String)],
    run_dir: &Path,
    log: PathBuf,
    tls: bool,
    start_timeout: Duration,
) -> Result<(Supervised, Duration)> {
    let mut process = Supervised::spawn(Launch {
        what: format!("ContextForge {GATEWAY_VERSION} on {url}"),
        python,
        program,
        args,
        env,
        // pydantic-settings also reads ./.env: run from the fresh run directory so no stray .env applies.
        cwd: run_dir,
        log,
        grace_secs: 10,
    })?;
    // Over HTTPS the probe cannot speak plain HTTP; uvicorn listens only once the app has started, so an
    // accepted connection means ready.
    let took = process.wait_ready(start_timeout, || {
        if tls {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        } else {
            http_status(port, "/health", None) == Some(200)
        }
    })?;
    Ok((process, took))
}

/// An un-narrowed admin JWT for another (containerized) ContextForge signed with `jwt_secret`, its
/// `JWT_SECRET_KEY`, minted with the shared gateway's own CLI; valid for two hours.
pub fn admin_jwt_signed_with(jwt_secret: &str) -> Result<String> {
    let mut options = JwtOptions::user(ADMIN_EMAIL);
    options.admin = true;
    options.exp_minutes = Some(120);
    options.secret = Some(jwt_secret.to_owned());
    Gateway::shared().mint_jwt(&options)
}

/// Options for [`Gateway::mint_jwt`], mapped onto `python -m mcpgateway.utils.create_jwt_token`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct JwtOptions {
    /// `--username` (the `sub` claim; must be an existing user's e-mail).
    pub username: String,
    /// `--admin`: adds `user.is_admin: true` and `teams: null` (an un-narrowed admin token).
    pub admin: bool,
    /// `--teams a,b`.
    pub teams: Option<Vec<String>>,
    /// `--exp` in minutes (`None`: the CLI default, 20).
    pub exp_minutes: Option<u32>,
    /// `--scopes` JSON, e.g. `{"permissions": ["tools.read"]}`.
    pub scopes: Option<Value>,
    /// `--secret`: sign with another secret (to provoke a 401).
    pub secret: Option<String>,
}

impl JwtOptions {
    /// Options for a plain token of `username`.
    pub fn user(username: impl Into<String>) -> Self {
        JwtOptions {
            username: username.into(),
            ..Default::default()
        }
    }
}

/// An API token created through `POST /v1/tokens`.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiToken {
    /// The token record's id (for `DELETE /v1/tokens/{id}`).
    pub id: String,
    /// The JWT to send as bearer.
    pub access_token: String,
    /// The full response body.
    pub body: Value,
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("access_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A raw HTTP answer from the gateway.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// HTTP status code.
    pub status: u16,
    /// The body as text.
    pub text: String,
}

impl RawResponse {
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

/// A running ContextForge gateway: pinned version, its own virtualenv, loopback port, SQLite in a fresh run
/// directory, generated secrets.
///
/// Stopped (with its whole process group) when dropped — or, for [`Gateway::shared`], when the test process ends.
pub struct Gateway {
    url: String,
    port: u16,
    admin_token: String,
    venv: Venv,
    run_dir: PathBuf,
    env: Vec<(String, String)>,
    /// `mcpgateway`'s arguments, kept so [`Gateway::restart`] starts exactly the same gateway.
    args: Vec<String>,
    tls: bool,
    start_timeout: Duration,
    process: Mutex<Supervised>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets (admin token, JWT secret, passwords in `env`) stay out of Debug.
        f.debug_struct("Gateway")
            .field("url", &self.url)
            .field("run_dir", &self.run_dir)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// The gateway shared by every test in this process, started on first use.
    ///
    /// # Panics
    /// If the gateway cannot be started: tests that need it must fail, never skip. The panic message says why and
    /// carries the log tail.
    pub fn shared() -> &'static Gateway {
        match Gateway::try_shared() {
            Ok(gw) => gw,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Gateway::shared`], returning the start-up error instead of panicking.
    pub fn try_shared() -> Result<&'static Gateway> {
        static SHARED: OnceLock<Result<Gateway, String>> = OnceLock::new();
        let started = SHARED.get_or_init(|| {
            let gateway = Gateway::start(GatewayOptions::default()).map_err(|e| e.to_string())?;
            install_log_tail_hook(gateway.log_path());
            Ok(gateway)
        });
        started
            .as_ref()
            .map_err(|e| HarnessError::SharedStartFailed(e.clone()))
    }

    /// Starts a gateway of its own (blocking, about 10–20 s; the first run also installs it, about 40 s).
    pub fn start(options: GatewayOptions) -> Result<Gateway> {
        let python = Python::find()?;
        let venv = gateway_venv(&python)?;
        let port = free_port()?;
        let run_dir = new_run_dir()?;
        let secrets = Secrets::generate()?;
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), run_dir.display().to_string()),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), port.to_string()),
            ("APP_DOMAIN".into(), url.clone()),
            (
                "DATABASE_URL".into(),
                format!("sqlite:///{}", run_dir.join("mcp.db").display()),
            ),
            ("JWT_SECRET_KEY".into(), secrets.jwt),
            ("AUTH_ENCRYPTION_SECRET".into(), secrets.encryption),
            ("PLATFORM_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
            ("PLATFORM_ADMIN_PASSWORD".into(), secrets.admin_password),
            (
                "PLATFORM_ADMIN_FULL_NAME".into(),
                "Platform Administrator".into(),
            ),
            ("DEFAULT_USER_PASSWORD".into(), secrets.user_password),
            ("BASIC_AUTH_USER".into(), "admin".into()),
            ("BASIC_AUTH_PASSWORD".into(), secrets.basic_password),
            ("AUTH_REQUIRED".into(), "true".into()),
            ("MCPGATEWAY_UI_ENABLED".into(), "false".into()),
            ("MCPGATEWAY_ADMIN_API_ENABLED".into(), "false".into()),
            // Fixture servers listen on 127.0.0.1; the SSRF guard blocks loopback upstreams by default.
            ("SSRF_ALLOW_LOCALHOST".into(), "true".into()),
            ("CACHE_TYPE".into(), "memory".into()),
            // On by default; its 15-minute per-IP lockout would poison a whole test run.
            ("RATE_LIMITING_ENABLED".into(), "false".into()),
            ("RATE_LIMITING_REDIS_ENABLED".into(), "false".into()),
            ("LOG_LEVEL".into(), "INFO".into()),
        ];
        for (key, value) in options.extra_env {
            env.retain(|(k, _)| *k != key);
            env.push((key, value));
        }
        let log = run_dir.join("gateway.log");
        let program = venv.bin("mcpgateway");
        let mut args = vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
        ];
        if let Some(tls) = &options.tls {
            // `mcpgateway` hands its arguments to uvicorn.
            args.extend([
                "--ssl-certfile".into(),
                tls.cert_file.display().to_string(),
                "--ssl-keyfile".into(),
                tls.key_file.display().to_string(),
            ]);
        }
        let tls = options.tls.is_some();
        let (process, took) = launch(
            &python,
            &program,
            &url,
            port,
            args.clone(),
            &env,
            &run_dir,
            log,
            tls,
            options.start_timeout,
        )?;
        eprintln!(
            "[harness] ContextForge {GATEWAY_VERSION} healthy on {url} after {:.1}s (run dir {})",
            took.as_secs_f64(),
            run_dir.display()
        );
        let mut gateway = Gateway {
            url,
            port,
            admin_token: String::new(),
            venv,
            run_dir,
            env,
            args,
            tls,
            start_timeout: options.start_timeout,
            process: Mutex::new(process),
        };
        let token = gateway.mint_jwt(&JwtOptions {
            username: ADMIN_EMAIL.into(),
            admin: true,
            exp_minutes: Some(600),
            ..Default::default()
        })?;
        match http_status(port, "/v1/auth/email/me", Some(&token)) {
            Some(200) => {}
            // Checked by the caller, who holds the CA.
            _ if tls => {}
            other => {
                return Err(HarnessError::Http {
                    what: "GET /v1/auth/email/me with the minted admin token".into(),
                    status: other.unwrap_or(0),
                    body: gateway.log_tail(20),
                });
            }
        }
        gateway.admin_token = token;
        Ok(gateway)
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// An un-narrowed platform-admin JWT (`create_jwt_token --admin`, valid 10 hours).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The platform administrator's e-mail.
    pub fn admin_email(&self) -> &str {
        ADMIN_EMAIL
    }

    /// The gateway's virtualenv (it also provides `mcpgateway.translate`).
    pub fn venv(&self) -> &Venv {
        &self.venv
    }

    /// The gateway's environment, secrets included: what its own CLIs (`translate`, `create_jwt_token`) need.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// This run's directory (SQLite database, log).
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The gateway's log file.
    pub fn log_path(&self) -> PathBuf {
        self.run_dir.join("gateway.log")
    }

    /// The last `lines` lines of the gateway log.
    pub fn log_tail(&self, lines: usize) -> String {
        read_tail(&self.log_path(), lines)
    }

    /// Whether the gateway process is still running.
    pub fn is_running(&self) -> bool {
        self.process
            .lock()
            .map(|mut p| p.is_running())
            .unwrap_or(false)
    }

    /// Crashes the gateway: SIGKILL to its whole process group (no shutdown, no flush, open requests cut), then
    /// waits until it is gone. [`Gateway::restart`] brings it back on the same database.
    pub fn kill(&self) -> Result<()> {
        let mut process = self
            .process
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let group = process.pgid();
        let status = Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .status()
            .map_err(io_err("running kill", Path::new("kill")))?;
        if !status.success() {
            return Err(HarnessError::Command {
                what: format!("kill -KILL -{group}"),
                status: status.to_string(),
                output: String::new(),
            });
        }
        process.wait_exit(Duration::from_secs(10));
        eprintln!(
            "[harness] ContextForge on {} killed (SIGKILL to process group {group})",
            self.url
        );
        Ok(())
    }

    /// Starts the gateway again after [`Gateway::kill`]: same port, database, secrets and settings, so tokens
    /// minted before still verify. Returns how long it took to answer again.
    pub fn restart(&self) -> Result<Duration> {
        let python = Python::find()?;
        let (process, took) = launch(
            &python,
            &self.venv.bin("mcpgateway"),
            &self.url,
            self.port,
            self.args.clone(),
            &self.env,
            &self.run_dir,
            self.log_path(),
            self.tls,
            self.start_timeout,
        )?;
        // The killed supervisor's value is dropped here; its group is already gone.
        *self
            .process
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = process;
        eprintln!(
            "[harness] ContextForge restarted on {} after {:.1}s, same database",
            self.url,
            took.as_secs_f64()
        );
        Ok(took)
    }

    /// The process group id of the gateway's supervisor (for checks that nothing is left behind).
    pub fn process_group(&self) -> u32 {
        self.process.lock().map(|p| p.pgid()).unwrap_or(0)
    }

    /// Mints a JWT with the gateway's own CLI (`python -m mcpgateway.utils.create_jwt_token`).
    pub fn mint_jwt(&self, options: &JwtOptions) -> Result<String> {
        let mut cmd = Command::new(self.venv.python());
        cmd.args([
            "-m",
            "mcpgateway.utils.create_jwt_token",
            "--username",
            &options.username,
        ]);
        if options.admin {
            cmd.args(["--admin", "--full-name", "Platform Administrator"]);
        }
        if let Some(teams) = &options.teams {
            cmd.args(["--teams", &teams.join(",")]);
        }
        if let Some(exp) = options.exp_minutes {
            cmd.args(["--exp", &exp.to_string()]);
        }
        if let Some(scopes) = &options.scopes {
            cmd.args(["--scopes", &scopes.to_string()]);
        }
        if let Some(secret) = &options.secret {
            // `=` keeps argparse from reading a generated secret that starts with `-` as an option.
            cmd.arg(format!("--secret={secret}"));
        }
        cmd.env_clear()
            .envs(std::env::var("PATH").map(|p| ("PATH".to_owned(), p)))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.run_dir);
        let out = run(&mut cmd, "python -m mcpgateway.utils.create_jwt_token")?;
        out.lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| HarnessError::Command {
                what: "python -m mcpgateway.utils.create_jwt_token".into(),
                status: "printed no token".into(),
                output: String::new(),
            })
    }

    /// Sends one request to the gateway and returns the raw answer, whatever its status.
    ///
    /// A fresh connection per call: each `#[tokio::test]` has its own runtime, and a pooled connection must not
    /// outlive the runtime that opened it.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> Result<RawResponse> {
        let what = format!("{method} {path}");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|source| HarnessError::Transport {
                what: what.clone(),
                source,
            })?;
        let mut req = client.request(method, format!("{}{path}", self.url));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|source| HarnessError::Transport {
            what: what.clone(),
            source,
        })?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|source| HarnessError::Transport { what, source })?;
        Ok(RawResponse { status, text })
    }

    /// Like [`Gateway::request`] but demands one of the `expected` statuses and returns the JSON body.
    pub async fn request_ok(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
        expected: &[u16],
    ) -> Result<Value> {
        let what = format!("{method} {path}");
        let resp = self.request(method, path, bearer, body).await?;
        if expected.contains(&resp.status) {
            Ok(resp.json())
        } else {
            Err(HarnessError::Http {
                what,
                status: resp.status,
                body: resp.text,
            })
        }
    }

    /// Creates a user with the admin token (`POST /v1/auth/email/admin/users`).
    ///
    /// Passwords need 12+ characters and must not resemble the e-mail.
    pub async fn create_user(&self, email: &str, password: &str, is_admin: bool) -> Result<Value> {
        let body =
            json!({"email": email, "password": password, "full_name": email, "is_admin": is_admin});
        self.request_ok(
            reqwest::Method::POST,
            "/v1/auth/email/admin/users",
            Some(&self.admin_token),
            Some(&body),
            &[200, 201],
        )
        .await
    }

    /// Logs a user in (`POST /v1/auth/email/login`) and returns the interactive session JWT.
    pub async fn login(&self, email: &str, password: &str) -> Result<String> {
        let body = json!({"email": email, "password": password});
        let answer = self
            .request_ok(
                reqwest::Method::POST,
                "/v1/auth/email/login",
                None,
                Some(&body),
                &[200],
            )
            .await?;
        answer["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| HarnessError::Http {
                what: "POST /v1/auth/email/login".into(),
                status: 200,
                body: "no access_token in the answer".into(),
            })
    }

    /// Creates an API token (`POST /v1/tokens`, answered 201) on behalf of the `bearer`'s user.
    ///
    /// `body` is sent as is, e.g. `{"name": "t1", "expires_in_days": 1, "scope": {"permissions": ["tools.read"]}}`.
    pub async fn create_api_token(&self, bearer: &str, body: &Value) -> Result<ApiToken> {
        let answer = self
            .request_ok(
                reqwest::Method::POST,
                "/v1/tokens",
                Some(bearer),
                Some(body),
                &[201],
            )
            .await?;
        let id = answer["token"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let access_token = answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if id.is_empty() || access_token.is_empty() {
            return Err(HarnessError::Http {
                what: "POST /v1/tokens".into(),
                status: 201,
                body: "the answer lacks token.id or access_token".into(),
            });
        }
        Ok(ApiToken {
            id,
            access_token,
            body: answer,
        })
    }
}

fn gateway_venv(python: &Python) -> Result<Venv> {
    let spec = format!("mcp-contextforge-gateway=={GATEWAY_VERSION}");
    Venv::ensure(
        python,
        &format!("gateway-{GATEWAY_VERSION}-py{}", python.version),
        &[&spec],
        &spec,
    )
}

/// Prepares the gateway's virtualenv without starting anything (what `.ci/run` does up front).
pub fn prepare_gateway_venv() -> Result<Venv> {
    gateway_venv(&Python::find()?)
}

/// Fresh secrets for a gateway started elsewhere (in a container): `JWT_SECRET_KEY`, `AUTH_ENCRYPTION_SECRET`,
/// `PLATFORM_ADMIN_EMAIL` ([`ADMIN_EMAIL`]), `PLATFORM_ADMIN_PASSWORD`, `DEFAULT_USER_PASSWORD` and
/// `BASIC_AUTH_PASSWORD`, as environment pairs. Mint its admin token with [`Gateway::mint_jwt`] and
/// [`JwtOptions::secret`] set to the `JWT_SECRET_KEY` given here.
pub fn fresh_gateway_secrets() -> Result<Vec<(String, String)>> {
    let secrets = Secrets::generate()?;
    Ok(vec![
        ("JWT_SECRET_KEY".into(), secrets.jwt),
        ("AUTH_ENCRYPTION_SECRET".into(), secrets.encryption),
        ("PLATFORM_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
        ("PLATFORM_ADMIN_PASSWORD".into(), secrets.admin_password),
        ("DEFAULT_USER_PASSWORD".into(), secrets.user_password),
        ("BASIC_AUTH_PASSWORD".into(), secrets.basic_password),
    ])
}

/// Generated secrets, strong enough for the gateway's start-up checks (length, entropy, not a known weak value).
struct Secrets {
    jwt: String,
    encryption: String,
    admin_password: String,
    user_password: String,
    basic_password: String,
}

impl Secrets {
    fn generate() -> Result<Secrets> {
        let random = || -> Result<String> {
            let mut bytes = [0u8; 36];
            File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut bytes))
                .map_err(io_err("reading", "/dev/urandom"))?;
            Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
        };
        Ok(Secrets {
            jwt: random()?,
            encryption: random()?,
            // Upper, lower, digit and special characters, whatever the random part holds.
            admin_password: format!("Adm-{}-9x!", &random()?[..16]),
            user_password: format!("Usr-{}-9x!", &random()?[..16]),
            basic_password: format!("Bas-{}-9x!", &random()?[..16]),
        })
    }
}

/// Creates `runs/gw-<pid>-<secs>` and prunes the directories of finished runs, keeping the newest three.
fn new_run_dir() -> Result<PathBuf> {
    let runs = harness_dir().join("runs");
    fs::create_dir_all(&runs).map_err(io_err("creating directory", &runs))?;
    let mut finished: Vec<(String, PathBuf)> = fs::read_dir(&runs)
        .map_err(io_err("reading directory", &runs))?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(name, _)| {
            let pid = name
                .strip_prefix("gw-")
                .and_then(|rest| rest.split('-').next());
            pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists())
        })
        .collect();
    finished.sort_by_key(|(name, _)| {
        name.rsplit('-')
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    });
    for (_, path) in finished.iter().rev().skip(3) {
        let _ = fs::remove_dir_all(path);
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut dir = runs.join(format!("gw-{}-{secs}", std::process::id()));
    let mut n = 1;
    while dir.exists() {
        dir = runs.join(format!("gw-{}-{secs}{n}", std::process::id()));
        n += 1;
    }
    fs::create_dir_all(&dir).map_err(io_err("creating directory", &dir))?;
    Ok(dir)
}

/// On any panic (a failing test) print the tail of the gateway log after the panic message.
fn install_log_tail_hook(log: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        eprintln!(
            "---- last 20 lines of the gateway log ({}) ----",
            log.display()
        );
        eprintln!("{}", read_tail(&log, 20));
        eprintln!("---- end of gateway log ----");
    }));
}
