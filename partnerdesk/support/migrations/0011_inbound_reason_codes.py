"""Why a mail was quarantined becomes a text code with parameters (`support/texts.py`); the reasons
written before as English phrases get their code, the phrase staying beside it."""

import re

from django.db import migrations, models

NUMBER = re.compile(r"\[(SUP\d{6,})\]")

# The phrases inbound.py wrote before codes, and the code each became.
CODES = {
    "message too large": "inbound.too_large",
    "not an e-mail message": "inbound.not_email",
    "no request number in the subject": "inbound.no_number",
    "unknown request number": "inbound.unknown_number",
    "empty message": "inbound.empty",
    "the sender is not a person of the customer": "inbound.not_a_person_of_the_customer",
    "the sender may not use support": "inbound.may_not_use_support",
    "integrity error": "inbound.duplicate",
}


def give_codes(apps, schema_editor):
    InboundMail = apps.get_model("support", "InboundMail")
    SupportRequest = apps.get_model("support", "SupportRequest")
    for mail in InboundMail.objects.filter(text_code="", error__in=list(CODES)).iterator():
        code = CODES[mail.error]
        params = {}
        match = NUMBER.search(mail.subject)
        if code == "inbound.too_large":
            params = {"megabytes": 25}
        elif code == "inbound.unknown_number":
            if match is None:
                continue  # nothing to name: the stored phrase is read
            params = {"number": match.group(1)}
        elif code == "inbound.not_a_person_of_the_customer":
            request = SupportRequest.objects.filter(number=match.group(1)).first() if match else None
            if request is None:
                continue
            params = {"customer": request.customer.name}
        InboundMail.objects.filter(pk=mail.pk).update(text_code=code, text_params=params)


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0010_inbound_quarantine"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundmail",
            name="text_code",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="inboundmail",
            name="text_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
    ]
