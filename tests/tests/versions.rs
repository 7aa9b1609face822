//! The smoke subset (version, get ns, create configmap, apply, get -o yaml, delete) with the
//! oldest and newest kubectl releases this server is tested with, and with the default one.

use gatehouse_tests::*;

static SERVER: Shared = Shared::new(|| Options::tokio().memory());

async fn smoke(release: Option<&str>) {
    let server = SERVER.get().await;
    let label = format!("smoke-{}", release.unwrap_or("default").replace('.', "-"));
    let dir = TempDir::new(&label);
    let k = match release {
        Some(r) => server.kubectl_release(&dir, r),
        None => server.kubectl(&dir),
    };
    flows::smoke(&k, &dir, &unique(&label)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_27_smoke() {
    smoke(Some("1.27")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_1_33_smoke() {
    smoke(Some("1.33")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_default_smoke() {
    smoke(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_releases_report_their_versions() {
    let server = SERVER.get().await;
    let dir = TempDir::new("versions");
    for (release, client) in [("1.27", "v1.27."), ("1.33", "v1.33.")] {
        let k = server.kubectl_release(&dir, release);
        let out = k.json(&["version", "-o", "json"]).await;
        assert!(
            out["clientVersion"]["gitVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with(client)),
            "{out}"
        );
        assert_eq!(out["serverVersion"]["major"], "1", "{out}");
        assert_eq!(out["serverVersion"]["minor"], "32", "{out}");
        assert!(
            out["serverVersion"]["gitVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("v1.32.")),
            "{out}"
        );
    }
}
