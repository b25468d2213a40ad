"""Signal receivers of the pme app: what the cached funnel is computed from has changed."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from partners.models import Organisation

from .models import Company, Project
from .selectors import funnel_changed


@receiver(post_save, sender=Project)
@receiver(post_delete, sender=Project)
@receiver(post_save, sender=Company)
@receiver(post_delete, sender=Company)
@receiver(post_save, sender=Organisation)
def invalidate_funnel(sender, **kwargs):
    funnel_changed()
