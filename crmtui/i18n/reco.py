"""User-facing text of the recommendations area (reasons, step, screens), in French and English.

Importing this module merges :data:`RECO_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`, so
``t("reco.…")`` works anywhere after ``import crmtui.i18n.reco``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

RECO_CATALOGUE: dict[str, dict[str, str]] = {
    # -- rules ------------------------------------------------------------------------------------
    "reco.rule.category": {"fr": "Catégorie préférée", "en": "Preferred category"},
    "reco.rule.region": {"fr": "Région préférée", "en": "Preferred region"},
    "reco.rule.grape": {"fr": "Cépage apprécié", "en": "Grape liked"},
    "reco.rule.copurchase": {"fr": "Achats associés", "en": "Bought together"},
    "reco.rule.price": {"fr": "Budget habituel", "en": "Usual budget"},
    "reco.rule.vintage": {"fr": "Nouveau millésime", "en": "Newer vintage"},
    "reco.rule.popularity": {"fr": "Populaire dans le segment", "en": "Popular in segment"},
    # -- reasons (params come from the engine; product names are untrusted text) ---------------------
    "reco.reason.category": {
        "fr": "{category} : {share} % de vos achats",
        "en": "{category}: {share}% of your purchases",
    },
    "reco.reason.region": {
        "fr": "Région que vous appréciez : {region} ({count} de vos achats)",
        "en": "A region you like: {region} ({count} of your purchases)",
    },
    "reco.reason.grape": {"fr": "Cépage que vous achetez : {grape}", "en": "A grape you buy: {grape}"},
    "reco.reason.copurchase": {
        "fr": "Les clients qui ont acheté « {product} » ont aussi acheté ce vin",
        "en": "Customers who bought “{product}” also bought this",
    },
    "reco.reason.price": {
        "fr": "Un vin {segment}, dans votre budget habituel (environ {price} € la bouteille)",
        "en": "A {segment} wine, in your usual budget (about {price} € a bottle)",
    },
    "reco.reason.vintage": {
        "fr": "Millésime {vintage} de « {product} », que vous avez acheté en {old}",
        "en": "The {vintage} vintage of “{product}”, which you bought as {old}",
    },
    "reco.reason.popularity": {
        "fr": "Apprécié des clients {segment}",
        "en": "Popular with {segment} customers",
    },
    "reco.reason.popularity_all": {
        "fr": "Parmi les vins les plus achetés",
        "en": "Among our most bought wines",
    },
    "reco.cat.ROUGE": {"fr": "Vins rouges", "en": "Red wines"},
    "reco.cat.BLANC": {"fr": "Vins blancs", "en": "White wines"},
    "reco.cat.ROSÉ": {"fr": "Rosés", "en": "Rosés"},
    "reco.cat.PÉTILLANT": {"fr": "Pétillants", "en": "Sparkling wines"},
    "reco.cat.MOUSSEUX": {"fr": "Effervescents", "en": "Sparkling wines"},
    "reco.cat.FORTIFIÉ": {"fr": "Vins mutés", "en": "Fortified wines"},
    "reco.cat.AUTRE": {"fr": "Autres produits", "en": "Other products"},
    # -- step and headless --------------------------------------------------------------------------
    "reco.result": {
        "fr": "recommandations : {customers} clients recalculés ({changed} modifiés, {products} produits "
        "modifiés), {results} recommandations écrites en {seconds} s",
        "en": "recommendations: {customers} customers recomputed ({changed} changed, {products} products "
        "changed), {results} recommendations written in {seconds} s",
    },
    "reco.full": {"fr": "recalcul complet : {why}", "en": "full recompute: {why}"},
    "reco.why.first": {"fr": "premier calcul", "en": "first computation"},
    "reco.why.config": {"fr": "pondérations ou réglages modifiés", "en": "weights or settings changed"},
    "reco.why.asked": {"fr": "demandé", "en": "asked for"},
    "reco.progress": {"fr": "{done}/{total} clients évalués", "en": "{done}/{total} customers scored"},
    "reco.nothing": {"fr": "aucun client à qui recommander", "en": "no customer to recommend to"},
    "reco.bad_config": {"fr": "réglage {name} invalide : {value}", "en": "invalid setting {name}: {value}"},
    "reco.unknown": {
        "fr": "aucune recommandation {product} pour {customer}",
        "en": "no recommendation {product} for {customer}",
    },
    # -- console --------------------------------------------------------------------------------------
    "key.customers": {"fr": "Clients", "en": "Customers"},
    "key.reco_quality": {"fr": "Qualité des recommandations", "en": "Recommendation quality"},
    "cmd.customers.help": {
        "fr": "Chercher un client, voir son historique et ses recommandations",
        "en": "Search a customer, see their history and recommendations",
    },
    "cmd.reco_quality.help": {
        "fr": "Couverture, raisons, retours et conversions des recommandations",
        "en": "Coverage, reasons, feedback and conversions of the recommendations",
    },
    "reco.key.search": {"fr": "Chercher", "en": "Search"},
    "reco.key.mark_bad": {"fr": "Mauvaise reco", "en": "Mark bad"},
    "reco.key.recompute": {"fr": "Recalculer", "en": "Recompute"},
    "reco.tip.mark_bad": {
        "fr": "Retire cette recommandation pour ce client et baisse le poids de sa règle pour les cas semblables",
        "en": "Removes this recommendation for this customer and lowers its rule's weight for similar cases",
    },
    "reco.customers.title": {"fr": "Clients et recommandations", "en": "Customers and recommendations"},
    "reco.customers.search": {
        "fr": "Nom, société, e-mail, ville ou code client…",
        "en": "Name, company, email, city or customer key…",
    },
    "reco.customers.none": {"fr": "Aucun client trouvé.", "en": "No customer found."},
    "reco.customers.pick": {
        "fr": "Choisissez un client dans la liste.",
        "en": "Pick a customer in the list.",
    },
    "reco.customers.summary": {
        "fr": "{name} · segment {segment} · {orders} commandes · {spent} · panier moyen {aov} · "
        "dernier achat {last}",
        "en": "{name} · segment {segment} · {orders} orders · {spent} · average order {aov} · "
        "last purchase {last}",
    },
    "reco.customers.mix": {"fr": "Achats par catégorie : {mix}", "en": "Purchases by category: {mix}"},
    "reco.customers.opted_out": {
        "fr": "Ce client a refusé les e-mails : aucune recommandation.",
        "en": "This customer opted out of email: no recommendations.",
    },
    "reco.customers.no_recos": {
        "fr": "Pas de recommandation pour ce client (lancez un recalcul).",
        "en": "No recommendation for this customer (run a recompute).",
    },
    "reco.customers.history": {"fr": "Derniers achats", "en": "Latest purchases"},
    "reco.customers.recos": {"fr": "Recommandations", "en": "Recommendations"},
    "reco.marked": {
        "fr": "« {product} » retiré pour {customer} ; poids de « {rule} » : {before} → {after}",
        "en": "“{product}” removed for {customer}; weight of “{rule}”: {before} → {after}",
    },
    "reco.recomputed": {"fr": "Recommandations recalculées.", "en": "Recommendations recomputed."},
    "reco.bad.title": {"fr": "Marquer comme mauvaise recommandation", "en": "Mark as a bad recommendation"},
    "reco.bad.prompt": {
        "fr": "« {product} » pour {customer}. Raison (facultative) :",
        "en": "“{product}” for {customer}. Reason (optional):",
    },
    "reco.bad.placeholder": {
        "fr": "ex. n'aime pas les vins boisés",
        "en": "e.g. does not like oaky wines",
    },
    "reco.bad.confirm": {"fr": "Marquer", "en": "Mark"},
    "reco.bad.cancel": {"fr": "Annuler", "en": "Cancel"},
    "reco.col.key": {"fr": "Client", "en": "Customer"},
    "reco.col.name": {"fr": "Nom", "en": "Name"},
    "reco.col.segment": {"fr": "Segment", "en": "Segment"},
    "reco.col.orders": {"fr": "Commandes", "en": "Orders"},
    "reco.col.rank": {"fr": "#", "en": "#"},
    "reco.col.product": {"fr": "Produit", "en": "Product"},
    "reco.col.score": {"fr": "Score", "en": "Score"},
    "reco.col.reasons": {"fr": "Raisons", "en": "Reasons"},
    "reco.col.date": {"fr": "Date", "en": "Date"},
    "reco.col.qty": {"fr": "Qté", "en": "Qty"},
    "reco.col.total": {"fr": "Montant", "en": "Amount"},
    "reco.col.rule": {"fr": "Règle", "en": "Rule"},
    "reco.col.count": {"fr": "Nombre", "en": "Count"},
    "reco.col.factor": {"fr": "Facteur", "en": "Factor"},
    "reco.col.scenario": {"fr": "Scénario", "en": "Scenario"},
    "reco.col.variant": {"fr": "Variante", "en": "Variant"},
    "reco.col.sends": {"fr": "Envois", "en": "Sends"},
    "reco.col.conversions": {"fr": "Conversions", "en": "Conversions"},
    "reco.col.rate": {"fr": "Taux", "en": "Rate"},
    "reco.col.revenue": {"fr": "CA", "en": "Revenue"},
    "reco.col.reason": {"fr": "Raison", "en": "Reason"},
    "reco.quality.title": {"fr": "Qualité des recommandations", "en": "Recommendation quality"},
    "reco.quality.coverage": {
        "fr": "Couverture : {covered} clients sur {eligible} joignables ({share} %) · {total} clients · "
        "dernier calcul {when}",
        "en": "Coverage: {covered} of {eligible} reachable customers ({share}%) · {total} customers · "
        "last computed {when}",
    },
    "reco.quality.never": {"fr": "jamais", "en": "never"},
    "reco.quality.reasons": {"fr": "Raisons données", "en": "Reasons given"},
    "reco.quality.feedback": {"fr": "Retours des opérateurs", "en": "Operator feedback"},
    "reco.quality.conversions": {
        "fr": "Conversions (achat du produit suggéré sous {days} jours)",
        "en": "Conversions (the suggested product bought within {days} days)",
    },
    "reco.quality.conversion_detail": {
        "fr": "Scénario : {scenario} · variante : {variant}",
        "en": "Scenario: {scenario} · variant: {variant}",
    },
    "reco.quality.no_conversions": {
        "fr": "Aucun envoi avec un produit suggéré pour l'instant.",
        "en": "No send with a suggested product yet.",
    },
}
"""Every recommendation key, fr + en with the same placeholders."""

CATALOGUE.update(RECO_CATALOGUE)
