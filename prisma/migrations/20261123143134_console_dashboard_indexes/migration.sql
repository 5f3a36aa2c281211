-- CreateIndex
CREATE INDEX "Conversation_createdAt_idx" ON "Conversation"("createdAt");

-- CreateIndex
CREATE INDEX "Delivery_convertedAt_idx" ON "Delivery"("convertedAt");

-- CreateIndex
CREATE INDEX "Interaction_sentAt_channel_direction_internal_idx" ON "Interaction"("sentAt", "channel", "direction", "internal");
