from django.db import migrations

NEW = (("medium", True, 1000), ("arrival", False, 0))


def add_replicas(apps, schema_editor):
    """A third ordered replica between fast and slow, and one that applies as events arrive.

    Only where replicas exist already: a fresh database gets all of them from ensure_replicas."""
    Replica = apps.get_model("store", "Replica")
    if not Replica.objects.exists():
        return
    for name, ordered, extra in NEW:
        Replica.objects.get_or_create(name=name, defaults={"ordered": ordered, "extra_lag_ms": extra})


def remove_replicas(apps, schema_editor):
    apps.get_model("store", "Replica").objects.filter(name__in=[name for name, _, _ in NEW]).delete()


class Migration(migrations.Migration):
    dependencies = [("store", "0003_checkpoint_split")]

    operations = [migrations.RunPython(add_replicas, remove_replicas)]
