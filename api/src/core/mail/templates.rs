//! The platform's own mails (account verification, password reset, invitation, a member's
//! password link), in French or English after the brand's locale. Brand-editable templates
//! are a separate, sandboxed mechanism (`domain::mail_templates`).

use crate::core::{i18n::Lang, mail::OutgoingMail};

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

/// A mail whose point is one link: an introduction, the link as a button, a closing line.
#[expect(clippy::too_many_arguments, reason = "the parts of one mail")]
pub fn link_mail(
    lang: Lang,
    to: &str,
    subject: String,
    intro: &str,
    action: &str,
    link: &str,
    outro: &str,
    signature: &str,
) -> OutgoingMail {
    // French puts a space before a colon.
    let colon = lang.pick(" :", ":");
    let text = format!("{intro}\n\n{action}{colon}\n{link}\n\n{outro}\n\n-- {signature}\n");
    let html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:sans-serif\"><p>{}</p>\
         <p><a href=\"{}\">{}</a></p><p>{}</p><p>&mdash; {}</p></body></html>",
        lang.code(),
        escape_html(intro),
        escape_html(link),
        escape_html(action),
        escape_html(outro),
        escape_html(signature),
    );
    OutgoingMail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

pub fn verify_email(lang: Lang, to: &str, brand_name: &str, link: &str) -> OutgoingMail {
    match lang {
        Lang::Fr => link_mail(
            lang,
            to,
            format!("Confirmez votre adresse e-mail pour {brand_name}"),
            &format!(
                "Bienvenue sur Fidelis ! Confirmez que {to} est bien votre adresse pour terminer l'inscription de {brand_name}."
            ),
            "Confirmer mon adresse",
            link,
            "Ce lien ne fonctionne qu'une fois et expire dans 48 heures. Si vous ne vous êtes pas inscrit, ignorez ce message.",
            "Fidelis",
        ),
        Lang::En => link_mail(
            lang,
            to,
            format!("Confirm your e-mail address for {brand_name}"),
            &format!(
                "Welcome to Fidelis! Please confirm that {to} is your address to finish setting up {brand_name}."
            ),
            "Confirm my address",
            link,
            "This link works once and expires in 48 hours. If you did not sign up, ignore this mail.",
            "Fidelis",
        ),
    }
}

pub fn password_reset(lang: Lang, to: &str, link: &str) -> OutgoingMail {
    match lang {
        Lang::Fr => link_mail(
            lang,
            to,
            "Réinitialisez votre mot de passe Fidelis".to_owned(),
            "Quelqu'un (vous, espérons-le) a demandé à réinitialiser le mot de passe de ce compte Fidelis.",
            "Choisir un nouveau mot de passe",
            link,
            "Ce lien ne fonctionne qu'une fois et expire dans 1 heure. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
            "Fidelis",
        ),
        Lang::En => link_mail(
            lang,
            to,
            "Reset your Fidelis password".to_owned(),
            "Someone (hopefully you) asked to reset the password of this Fidelis account.",
            "Choose a new password",
            link,
            "This link works once and expires in 1 hour. If you did not ask, ignore this mail: your password is unchanged.",
            "Fidelis",
        ),
    }
}

pub fn invitation(lang: Lang, to: &str, brand_name: &str, role: &str, link: &str) -> OutgoingMail {
    match lang {
        Lang::Fr => link_mail(
            lang,
            to,
            format!("Vous êtes invité à rejoindre {brand_name} sur Fidelis"),
            &format!("Vous êtes invité à rejoindre {brand_name} sur Fidelis avec le rôle {role}."),
            "Accepter l'invitation",
            link,
            "Cette invitation expire dans 7 jours.",
            "Fidelis",
        ),
        Lang::En => link_mail(
            lang,
            to,
            format!("You are invited to join {brand_name} on Fidelis"),
            &format!("You have been invited to join {brand_name} on Fidelis as {role}."),
            "Accept the invitation",
            link,
            "This invitation expires in 7 days.",
            "Fidelis",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_names_are_escaped_in_html_and_kept_in_text() {
        let m = verify_email(
            Lang::En,
            "a@b.fr",
            "<script>x</script> & Co",
            "http://x/verify?token=abc",
        );
        assert!(m.html.contains("&lt;script&gt;x&lt;/script&gt; &amp; Co"));
        assert!(!m.html.contains("<script>"));
        assert!(m.text.contains("<script>x</script> & Co"));
        assert!(m.text.contains("\nhttp://x/verify?token=abc\n"));
    }

    #[test]
    fn platform_mails_follow_the_language() {
        let fr = invitation(Lang::Fr, "a@b.fr", "Café", "BRAND_STAFF", "http://x");
        assert!(fr.subject.starts_with("Vous êtes invité"), "{}", fr.subject);
        assert!(fr.html.contains("lang=\"fr\""));
        let en = password_reset(Lang::En, "a@b.fr", "http://x");
        assert_eq!(en.subject, "Reset your Fidelis password");
    }
}
