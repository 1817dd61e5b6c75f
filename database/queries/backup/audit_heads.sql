-- Backup: the head (last sealed position and hash) of every audit chain, recorded in the
-- manifest so that a restore can prove the chains came back whole.
SELECT chain, seq, hash
  FROM audit_chains
 ORDER BY chain
