//! The platform's own mails (account verification, password reset, invitation). Brand-editable
//! marketing templates are a separate, sandboxed mechanism.

use super::OutgoingMail;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn mail(
    to: &str,
    subject: String,
    intro: &str,
    action: &str,
    link: &str,
    outro: &str,
) -> OutgoingMail {
    let text = format!("{intro}\n\n{action}:\n{link}\n\n{outro}\n\n-- Fidelis\n");
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p>\
         <p><a href=\"{}\">{}</a></p><p>{}</p><p>&mdash; Fidelis</p></body></html>",
        escape_html(intro),
        escape_html(link),
        escape_html(action),
        escape_html(outro),
    );
    OutgoingMail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

pub fn verify_email(to: &str, brand_name: &str, link: &str) -> OutgoingMail {
    mail(
        to,
        format!("Confirm your e-mail address for {brand_name}"),
        &format!(
            "Welcome to Fidelis! Please confirm that {to} is your address to finish setting up {brand_name}."
        ),
        "Confirm my address",
        link,
        "This link works once and expires in 48 hours. If you did not sign up, ignore this mail.",
    )
}

pub fn password_reset(to: &str, link: &str) -> OutgoingMail {
    mail(
        to,
        "Reset your Fidelis password".to_owned(),
        "Someone (hopefully you) asked to reset the password of this Fidelis account.",
        "Choose a new password",
        link,
        "This link works once and expires in 1 hour. If you did not ask, ignore this mail: your password is unchanged.",
    )
}

pub fn invitation(to: &str, brand_name: &str, role: &str, link: &str) -> OutgoingMail {
    mail(
        to,
        format!("You are invited to join {brand_name} on Fidelis"),
        &format!("You have been invited to join {brand_name} on Fidelis as {role}."),
        "Accept the invitation",
        link,
        "This invitation expires in 7 days.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_names_are_escaped_in_html_and_kept_in_text() {
        let m = verify_email(
            "a@b.fr",
            "<script>x</script> & Co",
            "http://x/verify?token=abc",
        );
        assert!(m.html.contains("&lt;script&gt;x&lt;/script&gt; &amp; Co"));
        assert!(!m.html.contains("<script>"));
        assert!(m.text.contains("<script>x</script> & Co"));
        assert!(m.text.contains("\nhttp://x/verify?token=abc\n"));
    }
}
