-- An email's single-use link (verification, password reset) is kept apart
-- from what anyone reading the outbox sees: secret_body_text holds the body
-- with the link only until the email is sent (or, where no email is sent at
-- all, for an hour), and body_text the same body with the link removed.
alter table outbox add column secret_body_text text;

-- Emails still waiting keep their links for delivery; then every stored
-- body loses its links.
update outbox set secret_body_text = body_text
 where sent_at is null and body_text ~ '[?&]token=';
update outbox set body_text = regexp_replace(body_text, '([?&]token=)[^[:space:]&]+', '\1(removed)', 'g')
 where body_text ~ '[?&]token=';
