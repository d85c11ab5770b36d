-- Argo CD health check for the leadops kinds (Team, LeadPolicy, TeamGoal, LeadExperiment), kstatus semantics:
--   Progressing  the controller has not yet reported on this generation of the spec
--                (status.observedGeneration, or Ready's observedGeneration, is behind
--                metadata.generation), or Ready is missing or Unknown;
--   Degraded     Ready=False on the current generation: the object cannot be applied as written
--                (InvalidExpression, TeamNotFound, InvalidTimezone, InvalidSpec, PolicyNotFound,
--                ScopeMismatch, Overlapping, ...) - the message says why;
--   Healthy      Ready=True on the current generation.
-- Business conditions never change health: a LeadPolicy with SLABreached=True, a Team with
-- OverCapacity=True, a LeadPolicy with DataQualityLow=True or CRMWriteBack=False, a TeamGoal that is AtRisk
-- or a LeadExperiment's verdict is Healthy (its configuration works); alert on those
-- with Prometheus instead. The message still names them so they show in the Argo CD UI.
local hs = {}
local generation = 0
if obj.metadata ~= nil and obj.metadata.generation ~= nil then
  generation = obj.metadata.generation
end
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the leadops controller to report status"
  return hs
end
local ready = nil
local notes = {}
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    elseif c.status == "True" and (c.type == "SLABreached" or c.type == "SLAAtRisk" or
        c.type == "CapacityExceeded" or c.type == "OverCapacity" or c.type == "DataQualityLow") then
      table.insert(notes, c.type)
    elseif c.type == "OnTrack" and c.reason ~= nil and c.reason ~= "OnTrack" then
      table.insert(notes, "goal " .. c.reason)
    elseif c.type == "CRMWriteBack" and c.status == "False" then
      table.insert(notes, "CRM write-back " .. (c.reason or "failing"))
    elseif c.type == "Concluded" and c.reason ~= nil then
      table.insert(notes, "experiment " .. c.reason)
    end
  end
end
local observed = obj.status.observedGeneration
if observed == nil and ready ~= nil then
  observed = ready.observedGeneration
end
if observed == nil or observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the leadops controller to observe generation " .. tostring(generation)
  return hs
end
if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
    hs.message = ready.message
  end
  return hs
end
if ready.status == "False" and ready.reason == "Progressing" then
  hs.status = "Progressing"
  hs.message = ready.message or "Progressing"
  return hs
end
if ready.status == "False" then
  hs.status = "Degraded"
  local reason = ready.reason or "NotReady"
  if ready.message ~= nil and ready.message ~= "" then
    hs.message = reason .. ": " .. ready.message
  else
    hs.message = reason
  end
  return hs
end
hs.status = "Healthy"
hs.message = "Ready"
if #notes > 0 then
  hs.message = "Ready; " .. table.concat(notes, ", ")
end
return hs
