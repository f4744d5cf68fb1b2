//! The mailer against a fake SMTP server that speaks the real protocol over TCP.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::server::services::outbox::{self, OutgoingEmail};
use lab_portal::mailer::{deliver_pending, spawn, BATCH_SIZE};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

/// One message as the fake server received it.
#[derive(Debug, Clone, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// Headers and body, CRLF line endings, dot-stuffing undone.
    data: String,
}

/// An SMTP server on a random local port that records what it accepts.
struct FakeSmtp {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeSmtp {
    /// Accepts everything.
    async fn start() -> Self {
        Self::start_with(false).await
    }

    /// Refuses every recipient with `550`.
    async fn refusing_recipients() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(refuse_rcpt: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake SMTP");
        let port = listener.local_addr().expect("fake SMTP address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, Arc::clone(&sink), refuse_rcpt));
            }
        });
        Self { port, received }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn transport(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url())
            .expect("SMTP URL")
            .build()
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("received lock").clone()
    }
}

/// Serves one SMTP connection until QUIT or until the client hangs up.
async fn session(socket: TcpStream, sink: Arc<Mutex<Vec<Received>>>, refuse_rcpt: bool) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 fake.smtp ESMTP ready\r\n")
        .await
        .expect("greet");
    let mut current = Received::default();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let verb = command.get(..4).unwrap_or(&command).to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-fake.smtp greets you\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n",
            "HELO" => b"250 fake.smtp\r\n",
            "MAIL" => {
                current = Received {
                    mail_from: argument(&command),
                    ..Received::default()
                };
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if refuse_rcpt => b"550 5.1.1 No such user here\r\n",
            "RCPT" => {
                current.rcpt_to.push(argument(&command));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .expect("354");
                current.data = read_data(&mut lines).await;
                sink.lock()
                    .expect("received lock")
                    .push(std::mem::take(&mut current));
                b"250 2.0.0 Queued\r\n"
            }
            "RSET" => {
                current = Received::default();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// The address in `MAIL FROM:<a>` or `RCPT TO:<a>`, brackets included.
fn argument(command: &str) -> String {
    command
        .split_once(':')
        .map(|(_, rest)| rest.trim().to_owned())
        .unwrap_or_default()
}

/// Reads a DATA section up to the lone `.` line.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.expect("DATA line") == 0 || line == ".\r\n" {
            return data;
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

fn from() -> Mailbox {
    "Lab Portal <no-reply@lab.example.org>"
        .parse()
        .expect("from")
}

async fn queue(pool: &PgPool, recipient: &str, subject: &str, body_text: &str) -> Uuid {
    queue_email(
        pool,
        OutgoingEmail {
            recipient: recipient.to_owned(),
            subject: subject.to_owned(),
            body_text: body_text.to_owned(),
            secret_body_text: None,
        },
    )
    .await
}

async fn queue_email(pool: &PgPool, email: OutgoingEmail) -> Uuid {
    let mut conn = pool.acquire().await.expect("connection");
    outbox::enqueue(&mut conn, &email).await.expect("enqueue")
}

async fn row(pool: &PgPool, id: Uuid) -> (Option<time::OffsetDateTime>, i32, Option<String>) {
    sqlx::query_as("select sent_at, attempts, last_error from outbox where id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("outbox row")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_queued_email_is_delivered_once_and_marked_sent(pool: PgPool) {
    let smtp = FakeSmtp::start().await;
    // The recipient gets the link; what is kept never holds it again.
    let body = "Open https://lab.example.org/verify?token=abc123 to confirm.";
    let kept = "Open (the link is not kept) to confirm.";
    let id = queue_email(
        &pool,
        OutgoingEmail {
            recipient: "ada@example.org".to_owned(),
            subject: "Confirm your email".to_owned(),
            body_text: kept.to_owned(),
            secret_body_text: Some(body.to_owned()),
        },
    )
    .await;

    let sent = deliver_pending(&pool, &smtp.transport(), &from())
        .await
        .expect("first pass");

    assert_eq!(sent, 1);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.mail_from, "<no-reply@lab.example.org>");
    assert_eq!(message.rcpt_to, vec!["<ada@example.org>".to_owned()]);
    assert!(
        message.data.contains("Subject: Confirm your email\r\n"),
        "{}",
        message.data
    );
    assert!(
        message.data.contains("To: ada@example.org\r\n"),
        "{}",
        message.data
    );
    assert!(
        message.data.contains("Content-Type: text/plain"),
        "{}",
        message.data
    );
    assert!(message.data.contains(body), "{}", message.data);
    let (sent_at, attempts, last_error) = row(&pool, id).await;
    assert!(sent_at.is_some());
    assert_eq!((attempts, last_error), (1, None));
    let stored: (String, Option<String>) =
        sqlx::query_as("select body_text, secret_body_text from outbox where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(
        stored,
        (kept.to_owned(), None),
        "the link is kept after sending"
    );

    let again = deliver_pending(&pool, &smtp.transport(), &from())
        .await
        .expect("second pass");
    assert_eq!(again, 0);
    assert_eq!(smtp.received().len(), 1, "sent twice");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_recipient_marks_the_email_failed_and_leaves_it_pending(pool: PgPool) {
    let smtp = FakeSmtp::refusing_recipients().await;
    let id = queue(&pool, "ghost@example.org", "Hello", "Anyone there?").await;

    let sent = deliver_pending(&pool, &smtp.transport(), &from())
        .await
        .expect("pass");

    assert_eq!(sent, 0);
    assert!(smtp.received().is_empty());
    let (sent_at, attempts, last_error) = row(&pool, id).await;
    assert!(sent_at.is_none());
    assert_eq!(attempts, 1);
    let last_error = last_error.expect("last_error");
    assert!(last_error.contains("550"), "{last_error}");
    assert!(last_error.contains("No such user here"), "{last_error}");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_invalid_address_fails_only_its_own_email(pool: PgPool) {
    let smtp = FakeSmtp::start().await;
    let bad = queue(&pool, "not an address", "Hello", "Hi").await;
    let good = queue(&pool, "bob@example.org", "Hello", "Hi").await;

    let sent = deliver_pending(&pool, &smtp.transport(), &from())
        .await
        .expect("pass");

    assert_eq!(sent, 1);
    let (bad_sent_at, _, bad_error) = row(&pool, bad).await;
    assert!(bad_sent_at.is_none());
    let bad_error = bad_error.expect("last_error");
    assert!(bad_error.contains("invalid recipient"), "{bad_error}");
    assert!(row(&pool, good).await.0.is_some());
    assert_eq!(
        smtp.received()[0].rcpt_to,
        vec!["<bob@example.org>".to_owned()]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn many_emails_are_all_delivered_in_batches(pool: PgPool) {
    let smtp = FakeSmtp::start().await;
    let count = usize::try_from(BATCH_SIZE).expect("batch size") + 5;
    for n in 0..count {
        queue(
            &pool,
            &format!("user{n}@example.org"),
            &format!("Note {n}"),
            "Hi",
        )
        .await;
    }
    let transport = smtp.transport();

    let first = deliver_pending(&pool, &transport, &from())
        .await
        .expect("pass 1");
    let second = deliver_pending(&pool, &transport, &from())
        .await
        .expect("pass 2");
    let third = deliver_pending(&pool, &transport, &from())
        .await
        .expect("pass 3");

    assert_eq!((first, second, third), (count - 5, 5, 0));
    let mut recipients: Vec<String> = smtp
        .received()
        .into_iter()
        .flat_map(|m| m.rcpt_to)
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), count);
    let unsent: i64 = sqlx::query_scalar("select count(*) from outbox where sent_at is null")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(unsent, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_spawned_mailer_delivers_what_is_queued(pool: PgPool) {
    let smtp = FakeSmtp::start().await;
    let task = spawn(
        pool.clone(),
        Some(smtp.url().into()),
        "Lab Portal <no-reply@lab.example.org>",
    )
    .expect("spawn");
    let id = queue(&pool, "ada@example.org", "Welcome", "Hello").await;

    let delivered = tokio::time::timeout(Duration::from_secs(10), async {
        while row(&pool, id).await.0.is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;

    task.abort();
    assert!(delivered.is_ok(), "not delivered within 10 s");
    assert_eq!(smtp.received().len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn without_smtp_the_mailer_stops_and_mail_stays_queued(pool: PgPool) {
    let id = queue(&pool, "ada@example.org", "Welcome", "Hello").await;

    let task = spawn(pool.clone(), None, "no-reply@lab.example.org").expect("spawn");

    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("task ended")
        .expect("task ran");
    assert_eq!(row(&pool, id).await, (None, 0, None));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bad_smtp_url_or_sender_is_refused_at_start_up(pool: PgPool) {
    let bad_url = spawn(
        pool.clone(),
        Some("ftp://mail.example.org".into()),
        "a@b.org",
    );
    assert!(bad_url.is_err());
    let bad_from = spawn(pool, Some("smtp://127.0.0.1:25".into()), "not an address");
    assert!(bad_from.is_err());
}
