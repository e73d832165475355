"""Identity resolution reads only the items not yet resolved: a partial index finds them without a scan.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DDL = r"""
-- An item keeps the key the loader gave it ("kind:value") until identity resolution gives it its customer's
-- key ("cust_..."); resolution reads only these items (pipeline/customers.py, UNRESOLVED), so its cost follows
-- what arrived since the last run, not the size of core.
CREATE INDEX feedback_item_unresolved_idx ON core.feedback_item (item_id)
WHERE customer_ids <> '{}'::jsonb AND (customer_key IS NULL OR customer_key NOT LIKE 'cust\_%');
"""


def upgrade() -> None:
    op.execute(DDL)
