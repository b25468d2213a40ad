"""The SME's own door, « Déposer un projet » (docs/architecture.md §16): a public page per
active dispositif where an SME leader, without an account, describes the company and the
project. The submission waits, unseen, until the leader confirms their e-mail address;
then it becomes a company (or is matched to the known one) and a project at the first
stage, with the source « self-referral », on the animateur's to-do list.

Public requests have no scope; the views enter ``alize.tenancy.public_door_scope`` for the
one dispositif named in the URL (or in the signed confirmation link) and nothing else.
"""
