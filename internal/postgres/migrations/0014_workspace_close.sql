-- Workspaces (internal/workspace): a proposal is closed without a merge
-- when its proposer withdraws it or a reviewer rejects it (with a reason).
ALTER TABLE workspace_proposals ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE workspace_proposals ADD COLUMN closed_org TEXT NOT NULL DEFAULT '';
ALTER TABLE workspace_proposals ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE workspace_proposals ADD COLUMN closed_at TIMESTAMPTZ;
