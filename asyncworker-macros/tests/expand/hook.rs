use asyncworker::prelude::*;

/// Connects the database before any route starts.
#[on_startup(order = -5)]
async fn connect(app: &App) -> anyhow::Result<()> {
    app.insert(Db::connect().await?);
    Ok(())
}

/// Flushes the database once every route has drained.
#[on_shutdown]
async fn close(app: &App) {
    app.state::<Db>().close().await;
}
