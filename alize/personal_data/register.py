"""The register of processing of personal data (GDPR art. 30), as the product shows it
(``/donnees-personnelles/``). docs/personal-data.md holds the same entries, one section per
``key``, with the tables behind each; ``tests/test_personal_data.py`` checks they agree."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Processing:
    key: str
    title: object
    data: object  # what is held
    purpose: object  # why
    basis: object  # the legal basis (GDPR art. 6)
    retention: object  # for how long; "%(years)s" is the retention setting
    recipients: object  # who sees it


REGISTER = [
    Processing(
        key="sme_contacts",
        title=_("Contacts des PME accompagnées"),
        data=_("Nom, fonction, adresse e-mail et téléphone du dirigeant ou du contact de la PME."),
        purpose=_(
            "Instruire le projet, préparer le comité, suivre l'accompagnement et les emplois."
        ),
        basis=_(
            "Intérêt légitime du dispositif à accompagner l'entreprise qui l'a sollicité ; "
            "mission d'intérêt général des financeurs publics."
        ),
        retention=_(
            "Jusqu'à %(years)s ans après la fin du dernier projet de la PME, puis effacement "
            "automatique (la PME et ses chiffres restent)."
        ),
        recipients=_(
            "L'animateur du dispositif et la coordination nationale ; jamais les clients API "
            "des régions ni les membres du comité (ils voient le dossier, pas le contact)."
        ),
    ),
    Processing(
        key="self_referrals",
        title=_("Projets déposés par les PME (« Déposer un projet »)"),
        data=_(
            "L'entreprise et son projet, et le nom, l'adresse e-mail et le téléphone du "
            "dirigeant qui dépose le formulaire public."
        ),
        purpose=_("Recevoir la demande et la transmettre au dispositif du territoire."),
        basis=_("Mesures précontractuelles à la demande de la personne (art. 6.1.b)."),
        retention=_(
            "Comme les contacts des PME : %(years)s ans après la fin du dernier projet ; une "
            "demande écartée sans suite suit la même règle."
        ),
        recipients=_("L'animateur du dispositif concerné et la coordination nationale."),
    ),
    Processing(
        key="follow_up_declarations",
        title=_("Suivis déclarés par les PME (lien signé)"),
        data=_(
            "Les effectifs et emplois déclarés par la PME, et le nom de la personne qui "
            "répond au lien reçu par e-mail."
        ),
        purpose=_("Mesurer les emplois créés et maintenus à 1, 2 et 3 ans."),
        basis=_("Intérêt légitime et obligation de rendre compte aux financeurs publics."),
        retention=_(
            "Les chiffres sont gardés pour les statistiques ; le nom du déclarant suit la "
            "règle des contacts des PME (%(years)s ans)."
        ),
        recipients=_("L'animateur du dispositif et la coordination nationale."),
    ),
    Processing(
        key="experts",
        title=_("Experts des entreprises partenaires"),
        data=_(
            "Nom, adresse e-mail, téléphone, fonction, compétences, disponibilités, heures "
            "déclarées sur les missions."
        ),
        purpose=_(
            "Proposer et suivre les missions de compétences, valoriser les heures mises à "
            "disposition (relevés de contribution)."
        ),
        basis=_("Intérêt légitime de l'entreprise partenaire et du dispositif."),
        retention=_(
            "Jusqu'à %(years)s ans sans heure ni mission, puis effacement automatique (les "
            "heures et leur valeur restent, sans nom)."
        ),
        recipients=_(
            "Le correspondant de l'entreprise, la coordination nationale et l'expert lui-même "
            "pour ses coordonnées ; l'animateur et le comité voient son nom sur les missions."
        ),
    ),
    Processing(
        key="committee_members",
        title=_("Membres des comités"),
        data=_(
            "Nom et adresse e-mail du représentant de chaque organisation, présences, "
            "réponses aux invitations, déclarations d'intérêt, notes du barème."
        ),
        purpose=_(
            "Convoquer le comité, établir le quorum et le compte rendu, prévenir les conflits "
            "d'intérêts."
        ),
        basis=_("Intérêt légitime ; obligation de tracer les décisions de financement."),
        retention=_(
            "Le compte reste tant que la personne a un rôle ; %(years)s ans sans connexion, "
            "puis effacement. Les comptes rendus émis restent des archives."
        ),
        recipients=_("L'animateur du dispositif, les autres membres, la coordination nationale."),
    ),
    Processing(
        key="users",
        title=_("Comptes des utilisateurs"),
        data=_(
            "Nom, adresse e-mail, langue, rôles et leur historique, dates de connexion, "
            "second facteur, codes de secours, échecs de connexion."
        ),
        purpose=_("Se connecter, appliquer les droits de chacun, sécuriser l'accès."),
        basis=_("Intérêt légitime (sécurité) et exécution de la mission de chacun."),
        retention=_(
            "%(years)s ans sans connexion, puis effacement ; les échecs de connexion sont "
            "purgés après quelques jours."
        ),
        recipients=_("La coordination nationale (administration) ; la personne elle-même."),
    ),
    Processing(
        key="mail_and_jobs",
        title=_("E-mails envoyés et tâches de fond"),
        data=_(
            "Destinataire et objet de chaque e-mail envoyé (clé d'envoi unique), arguments "
            "des tâches de fond, clés d'idempotence."
        ),
        purpose=_("Envoyer chaque e-mail une fois, reprendre une tâche interrompue."),
        basis=_("Intérêt légitime (fiabilité du service)."),
        retention=_(
            "Les tâches terminées sont supprimées après quelques jours ; les traces d'envoi "
            "suivent la personne et sont effacées avec elle."
        ),
        recipients=_("La coordination nationale (administration)."),
    ),
    Processing(
        key="logs",
        title=_("Journaux techniques et rapports d'erreurs"),
        data=_(
            "Identifiant de la requête, de l'utilisateur (jamais son nom), du dispositif, "
            "adresse IP des échecs de connexion ; rapports d'erreurs sans données de requête."
        ),
        purpose=_("Exploiter la plateforme, diagnostiquer les erreurs, détecter les abus."),
        basis=_("Intérêt légitime (sécurité et continuité du service)."),
        retention=_("Selon la rotation de l'hébergeur, au plus un an."),
        recipients=_("L'équipe d'exploitation."),
    ),
    Processing(
        key="history",
        title=_("Historiques et traces d'audit"),
        data=_(
            "Qui a fait quoi et quand : historiques des dossiers, des décisions, des sièges "
            "et des rôles, journaux des changements d'état, registre des effacements."
        ),
        purpose=_("Rendre compte des décisions et de l'argent, répondre aux contrôles."),
        basis=_("Obligation légale et intérêt légitime."),
        retention=_(
            "Aussi longtemps que les données qu'ils décrivent ; un effacement les réécrit "
            "aussi (le registre des effacements ne garde jamais le nom)."
        ),
        recipients=_("La coordination nationale ; l'animateur pour son dispositif."),
    ),
    Processing(
        key="backups",
        title=_("Sauvegardes"),
        data=_("Une copie complète de la base et des documents."),
        purpose=_("Restaurer la plateforme après un incident."),
        basis=_("Intérêt légitime (continuité du service)."),
        retention=_(
            "Selon la rotation de l'hébergeur : une sauvegarde antérieure à un effacement "
            "contient encore la personne jusqu'à son expiration ; après une restauration, les "
            "effacements faits depuis la sauvegarde (type et numéro, dans les journaux) sont "
            "refaits."
        ),
        recipients=_("L'équipe d'exploitation."),
    ),
]


def register_entries() -> list[dict]:
    """The register with the retention period written in."""
    years = settings.RETENTION_YEARS
    return [
        {
            "key": entry.key,
            "title": entry.title,
            "data": entry.data,
            "purpose": entry.purpose,
            "basis": entry.basis,
            "retention": str(entry.retention) % {"years": years},
            "recipients": entry.recipients,
        }
        for entry in REGISTER
    ]
