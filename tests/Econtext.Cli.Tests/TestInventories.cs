using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>Helpers for tests that read inventories.</summary>
internal static class TestInventories
{
    /// <summary>The inventory, or the first refused host's reason as the exception a run would report it with.</summary>
    public static Inventory Refusing(Inventory inventory) =>
        inventory.Hosts.FirstOrDefault(h => h.Refusal is not null) is { } refused ? throw new InventoryException(refused.Refusal!) : inventory;
}
